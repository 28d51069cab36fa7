"""Give an instance document a new identity: a new meta/instanceID and a deprecatedID.

Used when a manager keeps a conflicting version as an edit of the current one: the version
must then carry its own instanceID and name the version it supersedes. Only the two meta
elements change; every other byte of the document stays as the device wrote it.
"""
from __future__ import annotations

import re
import uuid

_INSTANCE = re.compile(r"<((?:[\w.-]+:)?)instanceID>[^<]*</(?:[\w.-]+:)?instanceID>")
_INSTANCE_EMPTY = re.compile(r"<((?:[\w.-]+:)?)instanceID\s*/>")
_DEPRECATED = re.compile(r"<(?:[\w.-]+:)?deprecatedID>[^<]*</(?:[\w.-]+:)?deprecatedID>"
                         r"|<(?:[\w.-]+:)?deprecatedID\s*/>")


def derived_id(*parts: object) -> str:
    """A stable instanceID for a version this server makes (the same parts, the same id, so
    doing it twice stores it once)."""
    return f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'datashift:' + ':'.join(map(str, parts)))}"


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def reidentify(xml: str, instance_id: str, deprecated_id: str) -> str:
    """The same document with meta/instanceID = `instance_id` and meta/deprecatedID =
    `deprecated_id` (replaced, or added just before instanceID)."""
    without = _DEPRECATED.sub("", xml, count=1)
    match = _INSTANCE.search(without) or _INSTANCE_EMPTY.search(without)
    if match is None:
        raise ValueError("the instance has no meta/instanceID")
    prefix = match.group(1)
    replacement = (f"<{prefix}deprecatedID>{_escape(deprecated_id)}</{prefix}deprecatedID>"
                   f"<{prefix}instanceID>{_escape(instance_id)}</{prefix}instanceID>")
    return without[:match.start()] + replacement + without[match.end():]
