"""Every setting is declared once, in app/config.py (name, default, meaning), and the README's
configuration table is exactly that declaration; nothing else reads the environment."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Flask's and Flask-SQLAlchemy's own keys, and keys the factory derives from declared ones.
FRAMEWORK_KEYS = {"TESTING", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS",
                  "MAX_CONTENT_LENGTH"}


def _readme_table() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _sources():
    for package in ("app", "sync", "forms", "sms_flows"):
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(), str(path))


def test_the_readme_table_is_the_declaration_in_app_config():
    from app.config import SETTINGS

    expected = [f"| `{s.name}` | {s.shown_default} | {s.meaning} |" for s in SETTINGS]
    assert _readme_table() == expected, "README's configuration table should read:\n" + \
        "\n".join(expected)


def test_only_app_config_reads_the_environment():
    readers = []
    for path, tree in _sources():
        if path == ROOT / "app" / "config.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []


def test_every_config_key_read_is_declared():
    from app.config import SETTINGS

    declared = {s.key for s in SETTINGS} | FRAMEWORK_KEYS
    unknown = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            key = None
            if isinstance(node, ast.Subscript) and _is_config(node.value):
                key = node.slice
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "get" and _is_config(node.func.value) and node.args):
                key = node.args[0]
            elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
                  and getattr(node.func, "id", getattr(node.func, "attr", None)) == "setting"
                  and node.args):
                key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str) \
                    and re.fullmatch(r"[A-Z][A-Z0-9_]+", key.value) \
                    and key.value not in declared:
                unknown.append(f"{path.relative_to(ROOT)}:{node.lineno} {key.value}")
    assert unknown == []


def _is_config(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "config" or \
        isinstance(node, ast.Name) and node.id == "config"
