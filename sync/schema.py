"""What ingest needs from a form version, parsed once per definition and kept in a small LRU."""
from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


_CACHE: OrderedDict[str, VersionSchema] = OrderedDict()
_CACHE_SIZE = 128
_LOCK = threading.Lock()


def schema_for(sha256: str, load_xml: Callable[[], str]) -> VersionSchema:
    """The parsed version, from a per-process LRU keyed by its sha256; `load_xml` is called
    (and the XForm parsed) only on a miss, so the hot path never fetches the form's XML."""
    with _LOCK:
        cached = _CACHE.get(sha256)
        if cached is not None:
            _CACHE.move_to_end(sha256)
            return cached
    from forms.model import parse_xform

    xml = load_xml()
    schema = VersionSchema(model=parse_xform(xml.encode("utf-8")),
                           binary_paths=tuple(_binary_paths(xml)))
    with _LOCK:
        _CACHE[sha256] = schema
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return schema


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
