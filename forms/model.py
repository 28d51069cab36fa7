"""Parse a published XForm into an immutable form model (fields, binds, labels, choices).

Conventions:
- Paths are absolute and unindexed ("/data/grp/q"); instance tags in the XForms namespace (or
  none) become bare names, tags in another namespace become "prefix:name" (e.g. "orx:meta").
- Label-like dicts (labels, hints, constraint_msgs, required_msgs, Choice.labels) map an itext
  language name to text; a plain, untranslated label is stored under the key "".
- An `<output value="e"/>` inside a label becomes "${e}", with a plain path made absolute
  ("${/data/child/child_pos}"); the paths it reads are listed in Field.label_refs.
- Element trees (secondary instances, primary_instance) are namespace-normalised copies;
  callers must not mutate them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from io import BytesIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from forms.settings import ConversationSettings

XF = "http://www.w3.org/2002/xforms"
XH = "http://www.w3.org/1999/xhtml"
JR = "http://openrosa.org/javarosa"
# Our own bind attributes (`ds:privacy`), which Collect and JavaRosa ignore.
DS = "https://datashift.org/xforms"
_ITEXT = re.compile(r"""^\s*jr:itext\(\s*['"](.+?)['"]\s*\)\s*$""")
_INSTANCE_ID = re.compile(r"""instance\(\s*['"]([^'"]+)['"]\s*\)""")
_CONTROLS = {"input", "select1", "select", "upload", "trigger", "range", "rank", "textarea"}
_ACTIONS = {"setvalue", "setgeopoint", "recordaudio"}


class XFormStructureError(ValueError):
    """The bytes are not an XForm this model understands (not XML, no model, no instance)."""

    code = "xform.structure"


class UnknownField(KeyError):
    """No field of the form has this path."""

    code = "xform.unknown_field"


@dataclass(frozen=True)
class Choice:
    """One static choice; `properties` holds its other columns (e.g. county for a filter)."""

    name: str
    labels: dict[str, str]
    properties: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Itemset:
    """A select's itemset: choices read from a secondary instance, maybe filtered."""

    nodeset: str
    instance_id: str | None
    value_ref: str
    label_ref: str
    filtered: bool


@dataclass(frozen=True)
class Action:
    """A raw setvalue / odk:setgeopoint / odk:recordaudio action targeting a field."""

    name: str
    event: str
    ref: str
    value: str | None
    text: str | None
    trigger: str | None


@dataclass(frozen=True)
class Field:
    """One node of the primary instance with its bind and body control merged."""

    path: str
    name: str
    kind: str
    type: str
    control: str | None = None
    appearance: str | None = None
    mediatype: str | None = None
    field_list: bool = False
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    hints: dict[str, str] = dataclasses.field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    itemset: Itemset | None = None
    relevant: str | None = None
    required: str | None = None
    constraint: str | None = None
    constraint_msgs: dict[str, str] = dataclasses.field(default_factory=dict)
    required_msgs: dict[str, str] = dataclasses.field(default_factory=dict)
    calculate: str | None = None
    readonly: str | None = None
    default: str | None = None
    preload: tuple[str, str | None] | None = None
    repeat_count: str | None = None
    parent: str | None = None
    label_refs: tuple[str, ...] = ()
    odk_actions: tuple[Action, ...] = ()
    bind_attributes: dict[str, str] = dataclasses.field(default_factory=dict)
    # The survey's `privacy` column as the XForm carries it (`ds:privacy`): phone, personal,
    # none; None when the form does not say (forms.privacy then guesses, and warns).
    privacy: str | None = None

    def __hash__(self) -> int:
        return hash(self.path)


@dataclass(frozen=True)
class FormModel:
    """A parsed XForm: identity, languages, fields in instance order, secondary instances."""

    form_id: str
    version: str
    title: str
    root_name: str
    languages: tuple[str, ...]
    default_language: str | None
    fields: tuple[Field, ...]
    secondary_instances: dict[str, Element]
    external_instances: dict[str, str]
    namespaces: dict[str, str] = dataclasses.field(repr=False)
    primary_instance: Element = dataclasses.field(repr=False, compare=False)
    body_order: tuple[str, ...] = dataclasses.field(repr=False, default=())
    # Not in the XForm: the XLSForm's consent / sensitive / sms_progress, stored with the
    # version (forms.settings); set with `with_settings`.
    settings: ConversationSettings = dataclasses.field(
        repr=False, compare=False, default=ConversationSettings())

    def __hash__(self) -> int:
        return hash((self.form_id, self.version))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {f.path: f for f in self.fields})

    def field(self, path: str) -> Field:
        """The field at an absolute path; repeat indexes like "[2]" are ignored."""
        try:
            return self._by_path[re.sub(r"\[\d+\]", "", path)]  # type: ignore[attr-defined]
        except KeyError:
            raise UnknownField(path) from None

    def has_field(self, path: str) -> bool:
        """Whether the form has a field at this (possibly indexed) path."""
        return re.sub(r"\[\d+\]", "", path) in self._by_path  # type: ignore[attr-defined]

    def questions(self) -> list[Field]:
        """Body controls in body order, without groups and repeats."""
        return [self.field(p) for p in self.body_order if self.field(p).kind == "question"]

    def repeats(self) -> list[Field]:
        """Repeat fields in instance order."""
        return [f for f in self.fields if f.kind == "repeat"]

    def with_settings(self, settings: ConversationSettings) -> FormModel:
        """The same model carrying a version's conversation settings."""
        return dataclasses.replace(self, settings=settings)

    def binary_fields(self) -> list[Field]:
        """Upload controls (image, audio, video, file): their values are attachment names."""
        return [f for f in self.fields if f.control == "upload"]


def _local(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        uri, _, name = tag[1:].partition("}")
        return uri, name
    return None, tag


def parse_xml(xml: bytes) -> tuple[Element, dict[str, str]]:
    """Parse bytes with defusedxml (no DTD, no entities, at most MAX_DEPTH deep); return root
    and prefix->uri map."""
    namespaces: dict[str, str] = {}
    events = iterparse(BytesIO(xml), events=("start-ns",), forbid_dtd=True)
    for _, (prefix, uri) in events:
        namespaces.setdefault(prefix, uri)
    check_depth(events.root)
    return events.root, namespaces


# Deeper than any real form or instance (groups in repeats in groups...): the code that reads
# forms and instances walks them by recursion, so a 5,000-deep document is refused at the door.
MAX_DEPTH = 100


def check_depth(root: Element, limit: int = MAX_DEPTH) -> None:
    """ParseError when elements are nested deeper than `limit` (walked without recursion)."""
    stack = [(root, 1)]
    while stack:
        element, level = stack.pop()
        if level > limit:
            raise ParseError(f"Elements are nested more than {limit} deep.")
        stack.extend((child, level + 1) for child in element)


def normal_name(tag: str, uri_to_prefix: dict[str, str]) -> str:
    """Tag as a path step: bare for the XForms/no namespace, "prefix:name" otherwise."""
    uri, name = _local(tag)
    if uri is None or uri == XF or not uri_to_prefix.get(uri):
        return name
    return f"{uri_to_prefix[uri]}:{name}"


def normalise_tree(el: Element, uri_to_prefix: dict[str, str]) -> Element:
    """A copy of el with tags and attribute names as normal_name gives them."""
    out = Element(normal_name(el.tag, uri_to_prefix))
    out.attrib = {normal_name(k, uri_to_prefix): v for k, v in el.attrib.items()}
    out.text, out.tail = el.text, el.tail
    out.extend(normalise_tree(child, uri_to_prefix) for child in el)
    return out


def parse_xform(xml: bytes) -> FormModel:
    """Parse a published XForm (bytes) into a FormModel; XFormStructureError if it is not one."""
    try:
        root, namespaces = parse_xml(xml)
    except (ParseError, DefusedXmlException) as exc:
        raise XFormStructureError(f"not a well-formed XForm: {exc}") from exc
    if root.tag != f"{{{XH}}}html":
        raise XFormStructureError(f"root element is {root.tag!r}, not h:html")
    return _Builder(root, namespaces).build()


_PATH_TOKEN = re.compile(r"(?<![\w)\]'\"])(\.\.?(?:/[\w.:-]+)*|/[\w.:-]+(?:/[\w.:-]+)*)")
_SIMPLE_PATH = re.compile(r"^/?(?:[\w.:-]+)(?:/[\w.:-]+)*$")
_STRINGS = re.compile(r"'[^']*'|\"[^\"]*\"")
_DYNAMIC_ITEXT = re.compile(r"^\s*jr:itext\(\s*([\w.:-]+)\s*\)\s*$")


def resolve_path(expr: str, context: str) -> str | None:
    """Absolute, unindexed path for a plain location path (absolute or relative), else None."""
    expr = re.sub(r"\[[^\]]*\]", "", expr.strip())
    if not expr or not _SIMPLE_PATH.match(expr):
        return None
    steps = [] if expr.startswith("/") else context.strip("/").split("/")
    for step in expr.strip("/").split("/"):
        if step == "..":
            steps = steps[:-1]
        elif step != ".":
            steps.append(step)
    return "/" + "/".join(steps)


def referenced_paths(expr: str, context: str) -> list[str]:
    """Absolute paths of the location paths an expression reads (string literals ignored)."""
    found = []
    for token in _PATH_TOKEN.findall(_STRINGS.sub("''", expr)):
        path = resolve_path(token, context) if ("/" in token or token == "..") else None
        if path and path not in found:
            found.append(path)
    return found


def _is(el: Element, name: str) -> bool:
    uri, local = _local(el.tag) if isinstance(el.tag, str) else (None, "")
    return local == name and uri in (XF, None)


def _kids(el: Element | None, name: str) -> list[Element]:
    return [c for c in el if _is(c, name)] if el is not None else []


def _kid(el: Element | None, name: str) -> Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _under_meta(path: str) -> bool:
    return any(step.rpartition(":")[2] == "meta" for step in path.split("/")[2:-1])


def _falsy(value: str | None) -> str | None:
    value = value.strip() if value is not None else None
    return None if not value or value == "false()" else value


class _Builder:
    """Reads one parsed XForm tree into a FormModel."""

    def __init__(self, root: Element, namespaces: dict[str, str]) -> None:
        self.namespaces = {p: u for p, u in namespaces.items()}
        self.u2p = {u: p for p, u in namespaces.items() if p}
        head = root.find(f"{{{XH}}}head")
        self.model = _kid(head, "model")
        if head is None or self.model is None:
            raise XFormStructureError("no h:head/model element")
        self.title = (head.findtext(f"{{{XH}}}title") or "").strip()
        self.body = root.find(f"{{{XH}}}body")
        self.itext: dict[str, dict[str, Element]] = {}
        self.languages: tuple[str, ...] = ()
        self.default_language: str | None = None
        self.binds: dict[str, dict[str, str]] = {}
        self.controls: dict[str, dict] = {}
        self.body_order: list[str] = []
        self.actions: dict[str, list[Action]] = {}

    def attrs(self, el: Element) -> dict[str, str]:
        return {normal_name(k, self.u2p): v for k, v in el.attrib.items()}

    def build(self) -> FormModel:
        instances = _kids(self.model, "instance")
        first = instances[0] if instances else []
        primary = next((c for c in first if isinstance(c.tag, str)), None)
        if primary is None:
            raise XFormStructureError("the XForm has no primary instance")
        form_id = primary.get("id")
        if not form_id:
            raise XFormStructureError("the primary instance root has no id attribute")
        self.root_name = normal_name(primary.tag, self.u2p)
        secondary, external = {}, {}
        for inst in instances[1:]:
            iid = inst.get("id") or ""
            if inst.get("src"):
                external[iid] = inst.get("src")
            else:
                child = next((c for c in inst if isinstance(c.tag, str)), None)
                if child is not None:
                    secondary[iid] = normalise_tree(child, self.u2p)
        self.secondary = secondary
        self._read_itext()
        self._read_binds_and_actions()
        if self.body is not None:
            self._walk_body(self.body, "/" + self.root_name)
        fields: list[Field] = []
        self._walk_instance(primary, "/" + self.root_name, None, fields)
        return FormModel(
            form_id=form_id, version=primary.get("version") or "", title=self.title,
            root_name=self.root_name, languages=self.languages,
            default_language=self.default_language, fields=tuple(fields),
            secondary_instances=secondary, external_instances=external,
            namespaces={p: u for p, u in self.namespaces.items() if p},
            primary_instance=normalise_tree(primary, self.u2p),
            body_order=tuple(self.body_order),
        )

    def _read_itext(self) -> None:
        langs, default = [], None
        for tr in _kids(_kid(self.model, "itext"), "translation"):
            lang = tr.get("lang") or ""
            langs.append(lang)
            if default is None and tr.get("default") not in (None, "false()"):
                default = lang
            texts = self.itext.setdefault(lang, {})
            for text in _kids(tr, "text"):
                values = _kids(text, "value")
                # media-only texts (form="image", "audio", ...) have no label text to show
                plain = [v for v in values if v.get("form") in (None, "long")]
                if plain:
                    texts[text.get("id") or ""] = plain[0]
        # JavaRosa falls back to the first translation when none is marked default.
        self.default_language = default if default is not None else (langs[0] if langs else None)
        if self.default_language is not None:
            langs.remove(self.default_language)
            langs.insert(0, self.default_language)
        self.languages = tuple(langs)

    def _read_binds_and_actions(self) -> None:
        root = "/" + self.root_name
        for child in self.model:
            if not isinstance(child.tag, str):
                continue
            _, local = _local(child.tag)
            if _is(child, "bind"):
                attrs = self.attrs(child)
                path = resolve_path(attrs.pop("nodeset", "") or attrs.pop("ref", ""), root)
                if path:
                    self.binds.setdefault(path, {}).update(attrs)
            elif local in _ACTIONS:
                self._add_action(child, root, None)

    def _add_action(self, el: Element, context: str, trigger: str | None) -> None:
        ref = resolve_path(el.get("ref") or "", context) or trigger
        if ref:
            self.actions.setdefault(ref, []).append(Action(
                name=normal_name(el.tag, self.u2p), event=el.get("event") or "", ref=ref,
                value=el.get("value"), text=(el.text or "").strip() or None, trigger=trigger))

    def _walk_body(self, el: Element, context: str) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            uri, name = _local(child.tag)
            if _is(child, "group") or _is(child, "repeat"):
                ref = child.get("nodeset") if name == "repeat" else child.get("ref")
                path = resolve_path(ref, context) if ref else None
                if path:
                    self._note_structure(path, child, name)
                self._walk_body(child, path or context)
            elif name in _CONTROLS and (uri in (XF, None) or name == "rank"):
                path = resolve_path(child.get("ref") or "", context)
                if not path:
                    continue
                self.controls[path] = {"control": normal_name(child.tag, self.u2p), "el": child,
                                       "label": _kid(child, "label")}
                self.body_order.append(path)
                for sub in child:
                    if isinstance(sub.tag, str) and _local(sub.tag)[1] in _ACTIONS:
                        self._add_action(sub, path, path)
            elif name in _ACTIONS:
                self._add_action(child, context, None)

    def _note_structure(self, path: str, el: Element, name: str) -> None:
        info = self.controls.setdefault(path, {})
        if path not in self.body_order:
            self.body_order.append(path)
        if info.get("label") is None:
            info["label"] = _kid(el, "label")
        info["appearance"] = el.get("appearance") or info.get("appearance")
        if name == "repeat":
            info["repeat"] = True
            info["count"] = el.get(f"{{{JR}}}count")

    def _walk_instance(self, el: Element, path: str, parent: str | None, out: list[Field]) -> None:
        templates = {c.tag: c for c in el if isinstance(c.tag, str) and c.get(f"{{{JR}}}template")
                     is not None}
        seen = set()
        for child in el:
            if not isinstance(child.tag, str) or child.tag in seen:
                continue
            seen.add(child.tag)
            child = templates.get(child.tag, child)
            child_path = f"{path}/{normal_name(child.tag, self.u2p)}"
            out.append(self._field(child, child_path, parent))
            if len(child):
                self._walk_instance(child, child_path, child_path, out)

    def _texts(self, el: Element | None, context: str) -> tuple[dict[str, str], list[str]]:
        if el is None:
            return {}, []
        match = _ITEXT.match(el.get("ref") or "")
        if match:
            return self._itext(match.group(1), context)
        text, refs = self._render(el, context)
        return ({"": text} if text else {}), refs

    def _itext(self, text_id: str, context: str) -> tuple[dict[str, str], list[str]]:
        out, refs = {}, []
        for lang in self.languages:
            value = self.itext[lang].get(text_id)
            if value is not None:
                out[lang], found = self._render(value, context)
                refs += [r for r in found if r not in refs]
        return out, refs

    def _render(self, el: Element, context: str) -> tuple[str, list[str]]:
        parts, refs = [el.text or ""], []
        for child in el:
            if isinstance(child.tag, str) and _local(child.tag)[1] == "output":
                expr = (child.get("value") or child.get("ref") or "").strip()
                parts.append("${" + (resolve_path(expr, context) or expr) + "}")
                refs += [r for r in referenced_paths(expr, context) if r not in refs]
            elif isinstance(child.tag, str):
                parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        return "".join(parts).strip(), refs

    def _message(self, value: str | None, context: str) -> dict[str, str]:
        if not value:
            return {}
        match = _ITEXT.match(value)
        return self._itext(match.group(1), context)[0] if match else {"": value}

    def _choices(self, control: Element, path: str) -> tuple[tuple[Choice, ...], Itemset | None]:
        items = []
        for item in _kids(control, "item"):
            labels, _ = self._texts(_kid(item, "label"), path)
            items.append(Choice(name=(_kid(item, "value").text or "").strip()
                                if _kid(item, "value") is not None else "", labels=labels))
        its = _kid(control, "itemset")
        if its is None:
            return tuple(items), None
        nodeset = its.get("nodeset") or ""
        match = _INSTANCE_ID.search(nodeset)
        value_el, label_el = _kid(its, "value"), _kid(its, "label")
        itemset = Itemset(
            nodeset=nodeset, instance_id=match.group(1) if match else None,
            value_ref=(value_el.get("ref") if value_el is not None else None) or "name",
            label_ref=(label_el.get("ref") if label_el is not None else None) or "label",
            filtered="[" in nodeset)
        source = self.secondary.get(itemset.instance_id or "")
        if source is None:
            return tuple(items), itemset
        step = re.sub(r"\[.*$", "", nodeset).rstrip("/").split("/")[-1]
        dynamic = _DYNAMIC_ITEXT.match(itemset.label_ref)
        for item in (c for c in source if c.tag == step):
            if dynamic:
                labels = self._itext(item.findtext(dynamic.group(1)) or "", path)[0]
            else:
                text = (item.findtext(itemset.label_ref) or "").strip()
                labels = {"": text} if text else {}
            skip = {itemset.value_ref, itemset.label_ref, dynamic.group(1) if dynamic else ""}
            props = {c.tag: (c.text or "").strip() for c in item if c.tag not in skip}
            items.append(Choice(name=(item.findtext(itemset.value_ref) or "").strip(),
                                labels=labels, properties=props))
        return tuple(items), itemset

    def _field(self, el: Element, path: str, parent: str | None) -> Field:
        bind = self.binds.get(path, {})
        ctl = self.controls.get(path, {})
        control = ctl.get("control")
        if ctl.get("repeat"):
            kind = "repeat"
        elif len(el) or (ctl and control is None):
            kind = "group"
        elif control:
            kind = "question"
        elif "jr:preload" in bind or _under_meta(path) or self.actions.get(path):
            kind = "meta"
        else:
            kind = "calculate"
        structure = kind in ("group", "repeat")
        default_type = "binary" if control == "upload" else "string"
        labels, refs = self._texts(ctl.get("label"), path)
        hints, hint_refs = self._texts(_kid(ctl.get("el"), "hint"), path)
        choices, itemset = (self._choices(ctl["el"], path) if control in
                            ("select1", "select", "odk:rank") else ((), None))
        appearance = ctl["el"].get("appearance") if control else ctl.get("appearance")
        preload = bind.get("jr:preload")
        return Field(
            path=path, name=path.rsplit("/", 1)[-1], kind=kind,
            type="structure" if structure else bind.get("type", default_type).removeprefix("xsd:"),
            control=control, appearance=appearance,
            mediatype=ctl["el"].get("mediatype") if control else None,
            field_list="field-list" in (appearance or "").split(),
            labels=labels, hints=hints, choices=choices, itemset=itemset,
            relevant=_falsy(bind.get("relevant")), required=_falsy(bind.get("required")),
            constraint=_falsy(bind.get("constraint")),
            constraint_msgs=self._message(bind.get("jr:constraintMsg"), path),
            required_msgs=self._message(bind.get("jr:requiredMsg"), path),
            calculate=_falsy(bind.get("calculate")), readonly=_falsy(bind.get("readonly")),
            default=None if structure else ((el.text or "").strip() or None),
            preload=(preload, bind.get("jr:preloadParams")) if preload else None,
            repeat_count=(ctl.get("count") or "").strip() or None, parent=parent,
            label_refs=tuple(dict.fromkeys(refs + hint_refs)),
            odk_actions=tuple(self.actions.get(path, ())), bind_attributes=dict(bind),
            privacy=(bind.get(f"{self.u2p[DS]}:privacy") or "").strip().lower() or None
            if DS in self.u2p else None,
        )
