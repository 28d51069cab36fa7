"""What the walker needs to know about a form, worked out once per FormModel and cached."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from forms.model import Choice, Field, FormModel
from forms.xpath import XPathError, referenced_paths

# Types and controls a person cannot answer with text.
UNANSWERABLE_TYPES = {"binary", "barcode", "geotrace", "geoshape"}
UNANSWERABLE_CONTROLS = {"upload", "odk:rank"}
_DRAWN = {"signature", "draw", "annotate"}  # drawn on the device: no photo answers these


@dataclass
class Analysis:
    """Per-form facts: body tree, repeat templates, notes, unanswerable questions, itemsets."""

    fields: dict[str, Field]
    repeat_paths: set[str]
    structures: set[str]
    templates: dict[str, Element]
    child_order: dict[str, list[str]]
    counted: dict[str, str]
    defaults: dict[str, str]
    body_children: dict[str, list[str]]
    notes: set[str]
    unanswerable: list[str]
    itemset_choices: dict[str, dict[int, Choice]]
    instance_id_path: str | None
    preloads: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    first_load: dict[str, str] = field(default_factory=dict)
    top_groups: list[str] = field(default_factory=list)
    forward_refs: bool = True


_cache: dict[int, tuple[FormModel, Analysis]] = {}
_lock = threading.Lock()


def analysis(model: FormModel) -> Analysis:
    """The cached analysis of a model (computed on first use)."""
    entry = _cache.get(id(model))
    if entry is not None and entry[0] is model:
        return entry[1]
    result = _analyse(model)
    with _lock:
        if len(_cache) > 512:
            _cache.clear()
        _cache[id(model)] = (model, result)
    return result


def is_unanswerable(f: Field) -> bool:
    """Whether a question cannot be answered by text (image, audio, signature, barcode...)."""
    return f.kind == "question" and (f.control in UNANSWERABLE_CONTROLS
                                      or f.type in UNANSWERABLE_TYPES)


def media_kind(f: Field) -> str | None:
    """ "image", "audio" or "video" for an upload question a photo, voice note or video
    sent over WhatsApp can answer; None otherwise."""
    if f.control != "upload" or set((f.appearance or "").split()) & _DRAWN:
        return None
    kind = (f.mediatype or "").partition("/")[0]
    return kind if kind in ("image", "audio", "video") else None


def is_note(f: Field) -> bool:
    """A read-only question: shown, never answered."""
    return f.kind == "question" and f.readonly is not None


def _analyse(model: FormModel) -> Analysis:
    root = "/" + model.root_name
    fields = {f.path: f for f in model.fields}
    repeat_paths = {f.path for f in model.fields if f.kind == "repeat"}
    templates: dict[str, Element] = {}
    child_order: dict[str, list[str]] = {}

    def visit(el: Element, path: str) -> None:
        order: list[str] = []
        for child in el:
            cpath = f"{path}/{child.tag}"
            if child.tag not in order:
                order.append(child.tag)
            if cpath in repeat_paths:
                if "jr:template" in child.attrib or cpath not in templates:
                    templates[cpath] = child
            elif len(child):
                visit(child, cpath)
        child_order[path] = order

    visit(model.primary_instance, root)
    done: set[str] = set()
    while len(done) < len(templates):  # nested repeats add their templates as we go
        path = next(p for p in templates if p not in done)
        done.add(path)
        visit(templates[path], path)
    body = set(model.body_order)
    body_children: dict[str, list[str]] = {}
    for path in model.body_order:
        parent = fields[path].parent if path in fields else None
        while parent is not None and parent not in body:
            parent = fields[parent].parent
        body_children.setdefault(parent or root, []).append(path)
    itemset_choices: dict[str, dict[int, Choice]] = {}
    for f in model.fields:
        if f.itemset is None or not f.itemset.instance_id:
            continue
        source = model.secondary_instances.get(f.itemset.instance_id)
        if source is None:
            continue
        step = f.itemset.nodeset.split("[")[0].rstrip("/").split("/")[-1]
        items = [c for c in source if c.tag == step]
        static = len(f.choices) - len(items)
        itemset_choices[f.path] = {id(item): choice for item, choice
                                   in zip(items, f.choices[static:], strict=False)}
    instance_id = next((f.path for f in model.fields if f.kind == "meta" and
                        f.path.rsplit("/", 2)[-2:] in (["meta", "instanceID"],
                                                       ["orx:meta", "orx:instanceID"])), None)
    first_load = {a.ref: a.value for f in model.fields for a in f.odk_actions
                  if a.name.endswith("setvalue") and "odk-instance-first-load" in a.event
                  and a.value}
    order = {f.path: i for i, f in enumerate(model.fields)}
    forward = False
    for f in model.fields:
        for expr in (f.relevant, f.calculate, f.repeat_count):
            if not expr:
                continue
            try:
                refs = referenced_paths(expr, f.path)
            except XPathError:
                forward = True
                continue
            if any(order.get(r, len(order)) >= order[f.path] and not f.path.startswith(r + "/")
                   for r in refs):
                forward = True
    return Analysis(
        forward_refs=forward,
        fields=fields, repeat_paths=repeat_paths,
        structures={f.path for f in model.fields if f.kind in ("group", "repeat")},
        templates=templates, child_order=child_order,
        counted={f.path: f.repeat_count for f in model.fields
                 if f.kind == "repeat" and f.repeat_count},
        defaults={f.path: f.default for f in model.fields if f.default is not None},
        body_children=body_children,
        notes={f.path for f in model.fields if is_note(f)},
        unanswerable=[f.path for f in model.fields if is_unanswerable(f)],
        itemset_choices=itemset_choices, instance_id_path=instance_id,
        preloads={f.path: f.preload for f in model.fields if f.preload},
        first_load=first_load,
        top_groups=[p for p in body_children.get(root, []) if p in fields
                    and fields[p].kind == "group"],
    )
