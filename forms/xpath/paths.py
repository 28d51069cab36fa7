"""Which primary-instance paths an expression reads, for dependency tracking."""

from __future__ import annotations


def _resolve(base: list[str] | None, steps: list) -> list[str] | None:
    """Apply simple steps (names, '.', '..') to a base path; None when not a simple path."""
    if base is None:
        return None
    path = list(base)
    for axis, test, _ in steps:
        if axis == "self":
            continue
        if axis == "parent":
            if not path:
                return None
            path.pop()
        elif axis == "child" and test[0] == "name":
            path.append(test[1])
        elif axis == "attribute" and test[0] == "name":
            path.append("@" + test[1])
        else:
            return path or None
    return path


def _split(path: str | None) -> list[str] | None:
    if path is None:
        return None
    return [p for p in path.strip().split("/") if p]


def ast_paths(ast: tuple, context_path: str | None) -> set[str]:
    """Collect '/a/b' paths from an AST; predicates resolve relative to their step's path."""
    out: set[str] = set()
    ctx = _split(context_path)

    def add(path: list[str] | None) -> None:
        if path:
            out.add("/" + "/".join(path))

    def walk(node: tuple, here: list[str] | None) -> None:
        kind = node[0]
        if kind in ("bin",):
            walk(node[2], here)
            walk(node[3], here)
        elif kind in ("neg",):
            walk(node[1], here)
        elif kind == "union":
            walk(node[1], here)
            walk(node[2], here)
        elif kind == "filter":
            walk(node[1], here)
            for p in node[2]:
                walk(p, None)
        elif kind == "func":
            for a in node[2]:
                walk(a, here)
        elif kind == "path":
            start, steps = node[1], node[2]
            if start == "root":
                base: list[str] | None = []
            elif start == "rel":
                base = here
            elif start[0] == "func" and start[1] == "current":
                base = ctx
            else:
                walk(start, here)
                base = None  # secondary instances are not part of the primary instance
            prefix = base
            for i, step in enumerate(steps):
                prefix = _resolve(prefix, [step]) if prefix is not None else None
                for pred in step[2]:
                    walk(pred, prefix)
                if prefix is None and i < len(steps) - 1:
                    continue
            add(_resolve(base, steps))

    walk(ast, ctx)
    return out
