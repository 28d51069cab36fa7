"""Read submitted instance documents and build the XML ODK Collect would send for answers.

`build_instance` takes answers keyed by absolute path, with a 1-based index on every repeat
step: {"/data/age": 34, "/data/child[2]/child_age": 9}. Values are formatted as Collect writes
them: lists and tuples space-separated (select_multiple names, geopoint "lat lon alt acc"),
dates ISO 8601, datetimes with milliseconds, None as an empty node.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException

from forms.model import FormModel, parse_xml

_STEP = re.compile(r"^([^\[\]]+)(?:\[(\d+)\])?$")


class InstanceError(ValueError):
    """Base for every problem with an instance document or the answers for one."""

    code = "instance.invalid"


class InstanceParseError(InstanceError):
    """The bytes are not well-formed XML, or carry a DTD or entities."""

    code = "instance.parse"


class MissingFormId(InstanceError):
    """The instance root has no `id` attribute naming its form."""

    code = "instance.missing_form_id"


class MissingInstanceId(InstanceError):
    """The instance has no meta/instanceID (plain or orx: namespaced)."""

    code = "instance.missing_instance_id"


class InvalidAnswer(InstanceError):
    """An answer passed to build_instance names no question or has a bad repeat index."""

    code = "instance.invalid_answer"


@dataclass(frozen=True)
class InstanceInfo:
    """The identity of a submitted instance, plus its parsed root element."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    attachment_names: tuple[str, ...]
    root: Element


def local_name(tag: str) -> str:
    """Tag without namespace or prefix: "{http://openrosa.org/xforms}meta" -> "meta"."""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _meta_text(root: Element, name: str) -> str | None:
    for meta in (c for c in root if isinstance(c.tag, str) and local_name(c.tag) == "meta"):
        for child in meta:
            if isinstance(child.tag, str) and local_name(child.tag) == name:
                return (child.text or "").strip() or None
    return None


def find_instance_id(root: Element) -> str | None:
    """meta/instanceID of an instance root (any namespace), or None."""
    return _meta_text(root, "instanceID")


def read_instance(xml: bytes, model: FormModel | None = None) -> InstanceInfo:
    """Parse a submission; attachment_names is filled only when the form model is given."""
    try:
        root, _ = parse_xml(xml)
    except (ParseError, DefusedXmlException) as exc:
        raise InstanceParseError(f"the submission is not well-formed XML: {exc}") from exc
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise MissingFormId(f"the root element <{local_name(root.tag)}> has no id attribute")
    instance_id = find_instance_id(root)
    if instance_id is None:
        raise MissingInstanceId("the submission has no meta/instanceID")
    return InstanceInfo(
        form_id=form_id, version=(root.get("version") or "").strip(), instance_id=instance_id,
        deprecated_id=_meta_text(root, "deprecatedID"),
        instance_name=_meta_text(root, "instanceName"),
        attachment_names=referenced_attachments(model, root) if model is not None else (),
        root=root,
    )


def _matching(nodes: list[Element], steps: list[str]) -> list[Element]:
    for step in steps:
        nodes = [c for n in nodes for c in n
                 if isinstance(c.tag, str) and local_name(c.tag) == step]
    return nodes


def referenced_attachments(model: FormModel, root: Element) -> tuple[str, ...]:
    """File names held by the form's upload fields in this instance, repeats included."""
    names: list[str] = []
    for field in model.binary_fields():
        steps = [local_name(s) for s in field.path.split("/")[2:]]
        for node in _matching([root], steps):
            name = (node.text or "").strip()
            if name and name not in names:
                names.append(name)
    return tuple(names)


def format_value(value: object) -> str:
    """An answer as Collect writes it in the instance XML."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise InvalidAnswer("booleans have no XForm text form; pass the choice name")
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, list | tuple):
        return " ".join(format_value(v) for v in value)
    raise InvalidAnswer(f"cannot write a {type(value).__name__} as an answer")


class _Answers:
    """Answers and repeat counts validated against the model, keyed by indexed path."""

    def __init__(self, model: FormModel, values: Mapping[str, object],
                 repeats: Mapping[str, int]) -> None:
        self.repeat_paths = {f.path for f in model.repeats()}
        self.model = model
        self.text: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        for path, value in values.items():
            key = self._indexed(path, leaf=True)
            self.text[key] = format_value(value)
        for path, count in repeats.items():
            key = self._indexed(path, leaf=False)
            self.counts[key] = max(self.counts.get(key, 0), count)

    def _indexed(self, path: str, *, leaf: bool) -> str:
        if not self.model.has_field(path):
            raise InvalidAnswer(f"{path}: the form has no such field")
        kind = self.model.field(path).kind
        if (kind in ("group", "repeat")) if leaf else (kind != "repeat"):
            raise InvalidAnswer(f"{path}: expected a {'question' if leaf else 'repeat'} path")
        steps = path.strip("/").split("/")
        plain = out = ""
        for i, step in enumerate(steps):
            name, index = _STEP.match(step).groups()  # type: ignore[union-attr]
            plain += "/" + name
            out += "/" + name
            # the repeat named by a `repeats` key is counted, not indexed
            indexed = plain in self.repeat_paths and (leaf or i < len(steps) - 1)
            if indexed and (index is None or int(index) < 1):
                raise InvalidAnswer(f"{path}: repeat step {name!r} needs an index from 1")
            if not indexed and index is not None:
                raise InvalidAnswer(f"{path}: step {name!r} takes no index here")
            if indexed:
                self.counts[out] = max(self.counts.get(out, 0), int(index))
                out += f"[{index}]"
        return out


def _build(template: Element, ipath: str, upath: str, answers: _Answers,
           omit: set[str]) -> Element:
    out = Element(template.tag, {k: v for k, v in template.attrib.items() if k != "jr:template"})
    if not len(template):
        out.text = answers.text.get(ipath, (template.text or "").strip())
        return out
    templates = {c.tag: c for c in template if "jr:template" in c.attrib}
    done = set()
    for child in template:
        cu, ci = f"{upath}/{child.tag}", f"{ipath}/{child.tag}"
        if cu in answers.repeat_paths:
            if cu in done or ci in omit:
                continue
            done.add(cu)
            for n in range(1, answers.counts.get(ci, 0) + 1):
                if f"{ci}[{n}]" not in omit:
                    tmpl = templates.get(child.tag, child)
                    out.append(_build(tmpl, f"{ci}[{n}]", cu, answers, omit))
        elif ci not in omit:
            out.append(_build(child, ci, cu, answers, omit))
    return out


def build_instance(
    model: FormModel,
    values: Mapping[str, object],
    *,
    instance_id: str,
    repeats: Mapping[str, int] | None = None,
    non_relevant: Collection[str] = (),
) -> bytes:
    """The instance XML Collect would submit for these answers.

    repeats: instances per repeat ("/data/child": 3, nested "/data/hh[2]/person": 4), at least
    the highest index answered. non_relevant: indexed paths left out, as Collect leaves out
    non-relevant nodes. Unanswered nodes keep the template's default (usually empty).
    """
    answers = _Answers(model, values, repeats or {})
    meta_id = next((f.path for f in model.fields if f.kind == "meta"
                    and [local_name(s) for s in f.path.split("/")[-2:]] == ["meta", "instanceID"]),
                   None)
    if meta_id is None:
        raise InvalidAnswer("the form has no meta/instanceID field")
    if not instance_id.startswith("uuid:"):
        instance_id = f"uuid:{instance_id}"
    answers.text[meta_id] = instance_id
    root_path = "/" + model.root_name
    body = _build(model.primary_instance, root_path, root_path, answers, set(non_relevant))
    root = Element(model.root_name, {f"xmlns:{p}": uri for p, uri in model.namespaces.items()})
    root.attrib.update(body.attrib)  # id, version and any odk: root attributes of the template
    root.extend(body)
    return tostring(root, encoding="utf-8", xml_declaration=True)
