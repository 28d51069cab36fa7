"""What ingest needs from a form version: the instance paths that hold file names, and the
instance flattened to the form's columns; derived once per version from the one form cache."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from app.queries import form_models
from forms.flatten import Layout, flatten
from forms.model import FormModel


@dataclass(frozen=True)
class VersionSchema:
    """A parsed form version: its model, the instance paths that hold file names, and what
    flattening an instance looks its fields up by."""

    model: FormModel
    binary_paths: tuple[tuple[str, ...], ...]
    layout: Layout

    def attachment_names(self, root: Element) -> list[str]:
        """File names the instance refers to, in document order, without repeats."""
        seen: dict[str, None] = {}
        for path in self.binary_paths:
            for node in _walk(root, path):
                name = (node.text or "").strip()
                if name:
                    seen.setdefault(name, None)
        return list(seen)

    def flatten(self, root: Element) -> dict[str, Any]:
        """The instance as the form's columns (forms.flatten's FlatSubmission as JSON)."""
        return flatten(self.model, root, self.layout).as_json()


def schema_for(sha256: str, load_xml: Callable[[], str]) -> VersionSchema:
    """The version's schema; `load_xml` is called (and the XForm parsed) only on a miss of the
    one form cache, so the hot path never fetches the form's XML."""
    return form_models.derived(sha256, load_xml, "sync.schema", _schema_of)


def _schema_of(model: FormModel) -> VersionSchema:
    # Every binary bind holds a file name: uploads, and meta/audit (no body control).
    return VersionSchema(model=model, binary_paths=tuple(
        tuple(_local(step) for step in field.path.split("/")[2:])
        for field in model.fields if _local(field.type) == "binary"), layout=Layout(model))


def _walk(node: Element, path: tuple[str, ...]) -> Iterator[Element]:
    if not path:
        yield node
        return
    for child in node:
        if _local(child.tag) == path[0]:
            yield from _walk(child, path[1:])


def _local(name: str) -> str:
    """`{ns}tag` or `prefix:tag` → `tag`."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
