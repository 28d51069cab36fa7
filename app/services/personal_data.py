"""The personal-data policy, once for every representation (XML, JSON, exports, OData,
webhooks): which paths of a form are personal (forms.privacy), the key and the mask.

Personal answers leave the server as the keyed hash (`hmac-sha256:...`, the pipeline's, so a
number hashes alike in every representation). Clear values go only to a caller holding
`submission.read_personal` (managers and admins) who asks for them, and every such read is
audited (app.web.personal_data).
"""
from __future__ import annotations

from collections.abc import Callable
from xml.etree import ElementTree

from defusedxml.ElementTree import fromstring
from flask import current_app

from app.pipeline.fields import local_path
from forms import privacy
from forms.model import FormModel

Mask = Callable[[str], str]


def hash_key() -> bytes:
    """PHONE_HASH_KEY, or SECRET_KEY on a first run (what the pipeline has always hashed with)."""
    key = current_app.config.get("PHONE_HASH_KEY") or current_app.config["SECRET_KEY"]
    return str(key).encode("utf-8")


def masker() -> Mask:
    """The mask for personal answers under this deployment's key."""
    key = hash_key()
    return lambda value: privacy.mask(value, key)


def personal_paths(model: FormModel) -> frozenset[str]:
    """Absolute paths (as the form model writes them) of the form's personal fields."""
    return frozenset(privacy.personal_fields(model))


def local_paths(model: FormModel) -> frozenset[str]:
    """The same paths with namespace prefixes dropped, as instance walkers see them."""
    return frozenset(local_path(path) for path in personal_paths(model))


def mask_xml(xml: str, paths: frozenset[str], mask: Mask) -> str:
    """The instance XML as sent, except that personal answers are masked; byte for byte the
    original when it holds none. `paths` are local (no namespace prefixes)."""
    if not paths:
        return xml
    root = fromstring(xml.encode("utf-8"), forbid_dtd=True)
    changed = False
    stack = [(root, f"/{_local(root.tag)}")]
    while stack:  # no recursion: instances are at most forms.model.MAX_DEPTH deep anyway
        node, path = stack.pop()
        for child in node:
            child_path = f"{path}/{_local(child.tag)}"
            if len(child):
                stack.append((child, child_path))
            elif child_path in paths and (child.text or "").strip():
                child.text = mask(child.text.strip())
                changed = True
    if not changed:
        return xml
    default = None
    for prefix, uri in _namespaces(xml):
        if prefix:
            ElementTree.register_namespace(prefix, uri)
        else:
            default = uri
    return ElementTree.tostring(root, encoding="unicode", default_namespace=default)


def _namespaces(xml: str) -> list[tuple[str, str]]:
    """The document's own prefixes, so the re-serialised XML keeps them (jr:, orx:...)."""
    import io

    return [ns for _event, ns in ElementTree.iterparse(io.StringIO(xml), events=("start-ns",))]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
