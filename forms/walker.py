"""Walk a form as a person answering it would: which question comes next, and what it says.

A `Walk` is one live instance tree built from answers keyed by indexed path
("/data/child[2]/child_age"). `refresh()` recomputes relevance (inherited from groups and
repeats), calculates and jr:count repeats in document order, blanking non-relevant nodes
as JavaRosa does. `events()` lists the body in order: questions, notes and "add another?"
prompts ("+/data/child"), each with its relevance. Absolute references inside a repeat are
contextualised to the current instance, as JavaRosa contextualises them.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from xml.etree.ElementTree import Element

from forms.instance import build_instance
from forms.model import Choice, Field, FormModel
from forms.walker_analysis import Analysis, analysis, media_kind
from forms.xpath import Expr, ParentMap, XPathError, compile_expr, evaluate, to_boolean, to_string

MAX_REPEATS = 50
# forms.xpath names the jr:choice-name hook `choice_name` or `choice_name_resolver` (renamed
# while this module was written); pass whichever this version takes.
_CHOICE_HOOK = next(n for n in ("choice_name_resolver", "choice_name")
                    if n in inspect.signature(evaluate).parameters)
_ABS_PATH = re.compile(r"(?<![\w)\]'\"./:])(/[\w:.-]+(?:/[\w:.-]+)*)")
_STRINGS = re.compile(r"'[^']*'|\"[^\"]*\"")
_REFERENCE = re.compile(r"\$\{([^}]+)\}")

__all__ = ["Event", "Walk", "sms_readiness", "ReadinessProblem", "language_code"]


@dataclass(frozen=True)
class Event:
    """One stop of the walk: a question, a note, or a repeat's "add another?" prompt."""

    kind: str  # "question" | "note" | "prompt" | "unanswerable"
    key: str  # indexed path; a prompt's key is "+" and the repeat's indexed path
    field: Field
    relevant: bool
    required: bool = False


@dataclass(frozen=True)
class ReadinessProblem:
    """Why a form cannot be answered by text."""

    code: str
    path: str
    message: str


def sms_readiness(model: FormModel, medium: str = "sms") -> list[ReadinessProblem]:
    """Problems that stop a form from running over SMS/USSD (required non-text questions);
    over WhatsApp a photo, voice-note or video question is answerable with the media sent."""
    problems = []
    for path in analysis(model).unanswerable:
        f = model.field(path)
        if f.required and not (medium == "whatsapp" and media_kind(f)):
            label = next(iter(f.labels.values()), f.name)
            problems.append(ReadinessProblem(
                "sms.unanswerable_required", path,
                f"Question '{f.name}' ({label}) is a required {f.control or f.type} question, "
                "which cannot be answered by SMS or USSD; make it optional to publish for SMS."))
    return problems


def language_code(name: str) -> str:
    """"Kiswahili (sw)" -> "sw"; a name without a code is returned as written."""
    match = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$", name)
    return match.group(1).lower() if match else name


@lru_cache(maxsize=8192)
def _contextualised(expr: str, prefixes: tuple[tuple[str, str], ...]) -> Expr:
    """The expression with absolute paths into the current repeat instances indexed."""
    if not prefixes:
        return compile_expr(expr)
    strings: list[str] = []

    def keep(m: re.Match) -> str:
        strings.append(m.group(0))
        return f"'\x00{len(strings) - 1}'"

    def index(m: re.Match) -> str:
        path = m.group(1)
        for plain, indexed in prefixes:
            if path == plain or path.startswith(plain + "/"):
                return indexed + path[len(plain):]
        return path

    masked = _ABS_PATH.sub(index, _STRINGS.sub(keep, expr))
    text = re.sub(r"'\x00(\d+)'", lambda m: strings[int(m.group(1))], masked)
    return compile_expr(text)


def _prefixes(ipath: str) -> tuple[tuple[str, str], ...]:
    """("/data/hh", "/data/hh[2]"), ... for each indexed step of ipath, deepest first."""
    if "[" not in ipath:
        return ()
    out, plain, indexed = [], "", ""
    for step in ipath.strip("/").split("/"):
        name, _, idx = step.partition("[")
        plain += "/" + name
        indexed += "/" + step
        if idx:
            out.append((plain, indexed))
    return tuple(reversed(out))


class Walk:
    """One person's instance of a form: answers in, relevance, values and events out."""

    def __init__(self, model: FormModel, answers: Mapping[str, str],
                 repeats: Mapping[str, int] | None = None, *, now: datetime | None = None,
                 language: str | None = None) -> None:
        self.model = model
        self.info: Analysis = analysis(model)
        self.answers = dict(answers)
        self.repeats = dict(repeats or {})
        self.now = now
        self.language = language if language in model.languages else model.default_language
        self.tree = Element(model.root_name, dict(model.primary_instance.attrib))
        self.relevant: dict[int, bool] = {}
        self.paths: dict[int, str] = {}
        self.upaths: dict[int, str] = {}
        self._events_cache: list[Event] | None = None
        self.elements: dict[str, Element] = {}
        self._build(model.primary_instance, self.tree, "/" + model.root_name)
        self.parents = ParentMap(self.tree)
        self.refresh()

    # --- the tree ---------------------------------------------------------------------------

    def _build(self, template: Element, out: Element, ipath: str) -> None:
        upath = re.sub(r"\[\d+\]", "", ipath)
        seen: set[str] = set()
        for child in template:
            cpath = f"{upath}/{child.tag}"
            if cpath in self.info.repeat_paths:
                if child.tag in seen:
                    continue
                seen.add(child.tag)
                for n in range(1, self._count(f"{ipath}/{child.tag}") + 1):
                    self._add_instance(out, child.tag, f"{ipath}/{child.tag}[{n}]")
                continue
            el = Element(child.tag, dict(child.attrib))
            out.append(el)
            self._register(el, f"{ipath}/{child.tag}")
            if len(child):
                self._build(child, el, f"{ipath}/{child.tag}")

    def _count(self, ipath: str) -> int:
        return max(0, min(MAX_REPEATS, int(self.repeats.get(ipath, 0))))

    def _add_instance(self, parent: Element, tag: str, ipath: str) -> Element:
        template = self.info.templates[re.sub(r"\[\d+\]", "", ipath)]
        el = Element(tag)
        siblings = [i for i, c in enumerate(parent) if c.tag == tag]
        parent.insert(siblings[-1] + 1 if siblings else self._slot(parent, tag), el)
        self._register(el, ipath)
        self._build(template, el, ipath)
        return el

    def _slot(self, parent: Element, tag: str) -> int:
        upath = re.sub(r"\[\d+\]", "", self.paths[id(parent)]) if id(parent) in self.paths \
            else "/" + self.model.root_name
        order = self.info.child_order[upath]
        rank = order.index(tag)
        return sum(1 for c in parent if c.tag in order[:rank])

    def _register(self, el: Element, ipath: str) -> None:
        self.paths[id(el)] = ipath
        self.upaths[id(el)] = re.sub(r"\[\d+\]", "", ipath) if "[" in ipath else ipath
        self.elements[ipath] = el

    def _sync_counts(self) -> bool:
        """Make jr:count repeats hold as many instances as their count says."""
        changed = False
        for path, count_expr in self.info.counted.items():
            for parent_ipath in self._parent_instances(path):
                parent = self.elements.get(parent_ipath) if parent_ipath else self.tree
                if parent is None:
                    continue
                tag = path.rsplit("/", 1)[1]
                ipath = f"{parent_ipath or '/' + self.model.root_name}/{tag}"
                try:
                    value = self.eval(count_expr, parent, ipath)
                    want = int(float(to_string(value) or 0))
                except (XPathError, ValueError, OverflowError):
                    want = 0
                want = max(0, min(MAX_REPEATS, want))
                have = [c for c in parent if c.tag == tag]
                if want == len(have):
                    continue
                changed = True
                self.repeats[ipath] = want
                for extra in have[want:]:
                    parent.remove(extra)
                for n in range(len(have) + 1, want + 1):
                    self._add_instance(parent, tag, f"{ipath}[{n}]")
        if changed:
            self.parents.rebuild()
        return changed

    def _parent_instances(self, path: str) -> list[str]:
        parent = path.rsplit("/", 1)[0]
        if parent == "/" + self.model.root_name:
            return [""]
        return [p for p in self.elements if re.sub(r"\[\d+\]", "", p) == parent]

    def add_repeat(self, repeat_ipath: str) -> str:
        """Add one instance to a user-driven repeat; returns the new instance's indexed path."""
        parent_ipath, _, tag = repeat_ipath.rpartition("/")
        parent = self.elements.get(parent_ipath, self.tree)
        n = len([c for c in parent if c.tag == tag]) + 1
        self.repeats[repeat_ipath] = n
        self._add_instance(parent, tag, f"{repeat_ipath}[{n}]")
        self.parents.rebuild()
        self.refresh()
        return f"{repeat_ipath}[{n}]"

    # --- evaluation -------------------------------------------------------------------------

    def eval(self, expr: str, context: Element, ipath: str) -> object:
        """Evaluate an expression at a node of the live tree."""
        return evaluate(_contextualised(expr, _prefixes(ipath)), context, root=self.tree,
                        instances=self.model.secondary_instances, now=self.now,
                        parent_of=self.parents, **{_CHOICE_HOOK: self._choice_name})

    def _truth(self, expr: str, el: Element, ipath: str) -> bool:
        if expr == "true()":
            return True
        try:
            return to_boolean(self.eval(expr, el, ipath))
        except XPathError:
            return False

    def _choice_name(self, value: str, path: str) -> str | None:
        upath = re.sub(r"\[\d+\]", "", path)
        if not self.model.has_field(upath):
            return None
        for choice in self.model.field(upath).choices:
            if choice.name == value:
                return self.text(choice.labels)
        return None

    def refresh(self) -> None:
        """Recompute relevance, calculates and jr:count repeats until they settle."""
        self._events_cache = None
        for _ in range(4):
            before = self._snapshot() if self.info.forward_refs else None
            self._compute(self.tree, True)
            changed = self._sync_counts()
            if not changed and (before is None or before == self._snapshot()):
                break

    def _snapshot(self) -> list:
        return [(id(e), e.text, self.relevant.get(id(e))) for e in self.tree.iter()]

    def _compute(self, el: Element, parent_relevant: bool) -> None:
        for child in el:
            ipath = self.paths[id(child)]
            upath = self.upaths[id(child)]
            f = self.info.fields.get(upath)
            relevant = parent_relevant
            if relevant and f is not None and f.relevant:
                relevant = self._truth(f.relevant, child, ipath)
            self.relevant[id(child)] = relevant
            if len(child) or (f is not None and f.kind in ("group", "repeat")):
                self._compute(child, relevant)
                continue
            if not relevant:
                child.text = ""
            elif f is not None and f.calculate:
                try:
                    child.text = to_string(self.eval(f.calculate, child, ipath))
                except XPathError:
                    child.text = ""
            else:
                child.text = self.answers.get(ipath, self.info.defaults.get(upath, ""))

    # --- the walk ---------------------------------------------------------------------------

    def events(self) -> list[Event]:
        """Every stop in body order with its relevance (existing repeat instances expanded)."""
        if self._events_cache is not None:
            return self._events_cache
        out: list[Event] = []
        self._events("/" + self.model.root_name, self.tree, "/" + self.model.root_name,
                     True, out)
        self._events_cache = out
        return out

    def _events(self, body_path: str, el: Element, ipath: str, relevant: bool,
                out: list[Event]) -> None:
        for path in self.info.body_children.get(body_path, ()):
            f = self.model.field(path)
            rel_steps = path[len(body_path) + 1:].split("/")
            parent_el, parent_ipath = el, ipath
            for step in rel_steps[:-1]:  # a group without a body element in between
                parent_el = next((c for c in parent_el if c.tag == step), parent_el)
                parent_ipath = f"{parent_ipath}/{step}"
            tag = rel_steps[-1]
            if f.kind == "repeat":
                instances = [c for c in parent_el if c.tag == tag]
                for n, inst in enumerate(instances, 1):
                    self._events(path, inst, f"{parent_ipath}/{tag}[{n}]",
                                 relevant and self.relevant.get(id(inst), True), out)
                if path not in self.info.counted:
                    rep_rel = relevant and self.relevant.get(id(parent_el), True)
                    if rep_rel and f.relevant:
                        rep_rel = self._truth(f.relevant, parent_el, parent_ipath)
                    out.append(Event("prompt", f"+{parent_ipath}/{tag}", f, rep_rel))
                continue
            node = next((c for c in parent_el if c.tag == tag), None)
            if node is None:
                continue
            node_ipath = f"{parent_ipath}/{tag}"
            node_rel = relevant and self.relevant.get(id(node), True)
            if f.kind == "group":
                self._events(path, node, node_ipath, node_rel, out)
                continue
            kind = ("unanswerable" if path in self.info.unanswerable else
                    "note" if path in self.info.notes else "question")
            required = bool(f.required) and kind != "note" and node_rel and \
                self._truth(f.required, node, node_ipath)
            out.append(Event(kind, node_ipath, f, node_rel, required))

    def element(self, key: str) -> Element | None:
        """The live node of an event key."""
        return self.elements.get(key)

    # --- what an event says -----------------------------------------------------------------

    def text(self, texts: Mapping[str, str], lang: str | None = None) -> str:
        """A label-like dict in the current language, falling back as Collect does."""
        lang = lang or self.language
        for key in (lang, self.model.default_language, ""):
            if key is not None and texts.get(key):
                return texts[key]
        return next(iter(texts.values()), "")

    def label(self, event: Event) -> str:
        """The event's label with ${} references filled in from the live instance."""
        f = event.field
        text = self.text(f.labels) or f.name
        if "${" not in text:
            return text
        ipath = event.key.lstrip("+")
        context = self.elements.get(ipath) or self.tree

        def fill(m: re.Match) -> str:
            try:
                return to_string(self.eval(m.group(1), context, ipath))
            except XPathError:
                return ""
        return _REFERENCE.sub(fill, text)

    def hint(self, event: Event) -> str:
        """The hint in the current language, or ""."""
        return self.text(event.field.hints) if event.field.hints else ""

    def choices(self, event: Event) -> list[Choice]:
        """The choices to offer now: static, or the itemset filtered by its choice_filter."""
        f = event.field
        if f.itemset is None or not f.itemset.filtered:
            return list(f.choices)
        el = self.elements.get(event.key)
        try:
            nodes = self.eval(f.itemset.nodeset, el if el is not None else self.tree, event.key)
        except XPathError:
            return []
        by_node = self.info.itemset_choices.get(f.path, {})
        return [by_node[id(n)] for n in nodes if id(n) in by_node] \
            if isinstance(nodes, list) else []

    def check(self, event: Event, value: str) -> str | None:
        """None when the value is accepted; else "required" or the constraint message."""
        el = self.elements[event.key]
        f = event.field
        if value == "":
            return "required" if event.required else None
        if not f.constraint:
            return None
        previous, el.text = el.text, value
        saved = dict(self.answers)
        self.answers[event.key] = value
        try:
            ok = self._truth(f.constraint, el, event.key)
        finally:
            el.text = previous
            self.answers = saved
        if ok:
            return None
        return self.text(f.constraint_msgs) if f.constraint_msgs else "constraint"

    def answer(self, event: Event, value: str) -> None:
        """Store a checked value and recompute what depends on it."""
        self.answers[event.key] = value
        self.refresh()

    # --- the instance -----------------------------------------------------------------------

    def instance_xml(self, instance_id: str) -> bytes:
        """The instance Collect would send: non-relevant nodes left out."""
        values: dict[str, str] = {}
        omit: list[str] = []
        meta_id = self.info.instance_id_path
        for el in self.tree.iter():
            if el is self.tree:
                continue
            ipath = self.paths[id(el)]
            if not self.relevant.get(id(el), True):
                parent = self.parents(el)
                if parent is self.tree or self.relevant.get(id(parent), True):
                    omit.append(ipath)
                continue
            if not len(el) and re.sub(r"\[\d+\]", "", ipath) not in self.info.structures \
                    and ipath != meta_id:
                values[ipath] = el.text or ""
        counts = {k: v for k, v in self.repeats.items() if v}
        return build_instance(self.model, values, instance_id=instance_id, repeats=counts,
                              non_relevant=omit)
