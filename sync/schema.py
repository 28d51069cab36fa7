"""What ingest needs from a form version, parsed once per definition and kept in a small LRU."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element


@dataclass(frozen=True)
class VersionSchema:
    """A parsed form version: its model, and the instance paths that hold file names."""

    model: Any
    binary_paths: tuple[tuple[str, ...], ...]

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
        from forms.flatten import flatten

        return dataclasses.asdict(flatten(self.model, root))


@lru_cache(maxsize=128)
def schema_for(sha256: str, xml: str) -> VersionSchema:
    """Parse a version once per process (keyed by its sha256; the xml is the same for a key)."""
    from forms.model import parse_xform

    model = parse_xform(xml.encode("utf-8"))
    return VersionSchema(model=model, binary_paths=tuple(_binary_paths(xml)))


def _binary_paths(xml: str) -> Iterator[tuple[str, ...]]:
    """Absolute nodesets of `<bind type="binary">`, minus the root step, as name tuples."""
    from defusedxml.ElementTree import fromstring

    for element in fromstring(xml.encode("utf-8")).iter():
        if _local(element.tag) == "bind" and _local(element.get("type", "")) == "binary":
            steps = [s for s in element.get("nodeset", "").split("/") if s]
            if len(steps) >= 2:
                yield tuple(_local(s) for s in steps[1:])


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
