"""Flatten a submitted instance into a root row and one row list per repeat (ODK Central's shape).

Keys follow Central's Briefcase CSV: the root row's key is the instanceID; a repeat row's
__key is its parent's key, then the group names and "name[n]" steps below it
("uuid:abc/grp/rep[1]"), and __parent_key is the key of the nearest enclosing repeat row (or
the instanceID). Values are the raw node text: "" for an empty node, None for a node that is
absent (Collect leaves out non-relevant nodes). Elements are matched by local name, so
orx:-namespaced meta and plain meta read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from forms.instance import find_instance_id, local_name
from forms.model import Field, FormModel

Row = dict[str, str | int | None]


@dataclass
class FlatSubmission:
    """One submission as rows: root fields, repeat rows, and fields the model does not know."""

    instance_id: str | None
    root: dict[str, str | None]
    repeats: dict[str, list[Row]]
    extra: dict[str, str | None] = field(default_factory=dict)

    def as_json(self) -> dict:
        """As `dataclasses.asdict` gives it, without its deep copy (every container here is
        the flattening's own)."""
        return {"instance_id": self.instance_id, "root": self.root, "repeats": self.repeats,
                "extra": self.extra}


def repeat_of(model: FormModel, f: Field) -> str | None:
    """The path of the nearest repeat enclosing `f`, or None for the root table."""
    parent = f.parent
    while parent is not None:
        owner = model.field(parent)
        if owner.kind == "repeat":
            return owner.path
        parent = owner.parent
    return None


class Layout:
    """What the walk looks fields up by: each field by (parent path, local name), and the
    leaves of each row's table. Derived from the model alone, so a caller that flattens many
    instances of one version builds it once (sync.schema keeps it with the version)."""

    def __init__(self, model: FormModel) -> None:
        self.children: dict[tuple[str, str], Field] = {}
        self.leaves: dict[str | None, list[str]] = {}
        for f in model.fields:
            parent = f.parent or "/" + model.root_name
            self.children[(parent, local_name(f.path.rsplit("/", 1)[1]))] = f
            if f.kind not in ("group", "repeat"):
                self.leaves.setdefault(repeat_of(model, f), []).append(f.path)
        self.repeats = [r.path for r in model.repeats()]


class _Flattener:
    """Walks the instance and the model together."""

    def __init__(self, layout: Layout, root: Element) -> None:
        self.children = layout.children
        self.leaves = layout.leaves
        self.instance_id = find_instance_id(root)
        self.out = FlatSubmission(
            instance_id=self.instance_id,
            root={p: None for p in self.leaves.get(None, [])},
            repeats={path: [] for path in layout.repeats},
        )
        self.counters: dict[tuple[str, str], int] = {}

    def walk(self, el: Element, upath: str, ipath: str, key: str, row: dict, row_key: str) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            name = local_name(child.tag)
            f = self.children.get((upath, name))
            if f is None:
                self._extra(child, f"{ipath}/{name}")
            elif f.kind == "repeat":
                n = self.counters.get((row_key, f.path), 0) + 1
                self.counters[(row_key, f.path)] = n
                sub_key = f"{key}/{name}[{n}]"
                sub: Row = {p: None for p in self.leaves.get(f.path, [])}
                sub.update({"__position": n, "__parent_key": row_key, "__key": sub_key})
                self.out.repeats[f.path].append(sub)
                self.walk(child, f.path, f"{ipath}/{name}[{n}]", sub_key, sub, sub_key)
            elif f.kind == "group":
                self.walk(child, f.path, f"{ipath}/{name}", f"{key}/{name}", row, row_key)
            elif row.get(f.path) is None:
                row[f.path] = "".join(child.itertext())

    def _extra(self, el: Element, ipath: str) -> None:
        kids = [c for c in el if isinstance(c.tag, str)]
        if not kids:
            self.out.extra[ipath] = "".join(el.itertext())
        for child in kids:
            self._extra(child, f"{ipath}/{local_name(child.tag)}")


def flatten(model: FormModel, root: Element, layout: Layout | None = None) -> FlatSubmission:
    """Rows for one submission: every non-repeat leaf, repeat rows with keys, unknown fields.
    `layout`: `Layout(model)`, when the caller keeps one for the version."""
    flat = _Flattener(layout or Layout(model), root)
    top = "/" + model.root_name
    key = flat.instance_id or ""
    flat.walk(root, top, top, key, flat.out.root, key)
    return flat.out
