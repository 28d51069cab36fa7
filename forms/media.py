"""Attachment slots: the media files an XForm refers to with jr:// URIs."""

from __future__ import annotations

import re
from dataclasses import dataclass

import defusedxml.ElementTree as DET

from forms.errors import XFormParseError

_SLOT_TYPES = {"images": "image", "audio": "audio", "video": "video", "file": "file"}
_JR_URI = re.compile(r"jr://(images|audio|video|file|file-csv)/([^\s'\"<>()]+)")
# search('name') appearances read name.csv, which pyxform does not declare as an instance.
_SEARCH = re.compile(r"search\(\s*['\"]([^'\"]+)['\"]")


@dataclass(frozen=True, order=True)
class AttachmentSlot:
    """One media file a form expects: its file name and type (image, audio, video, file)."""

    name: str
    type: str


def _slot(scheme: str, path: str) -> AttachmentSlot:
    # jr://file-csv/x.csv is how pyxform names CSV-backed external instances; the
    # attachment itself is still the plain file x.csv.
    return AttachmentSlot(name=path.rsplit("/", 1)[-1], type=_SLOT_TYPES.get(scheme, "file"))


def attachment_slots(xform_xml: bytes) -> tuple[AttachmentSlot, ...]:
    """Every jr:// media file the XForm refers to (itext, external instances), sorted."""
    try:
        root = DET.fromstring(xform_xml)
    except Exception as exc:  # defusedxml raises several unrelated types
        raise XFormParseError(f"Could not parse the XForm: {exc}") from exc
    found: dict[str, str] = {}
    for element in root.iter():
        for text in (element.text or "", *element.attrib.values()):
            for scheme, path in _JR_URI.findall(text):
                slot = _slot(scheme, path)
                # One slot per file name (Central keys attachments by name); a typed
                # reference (image, audio, video) wins over a generic file one.
                if found.get(slot.name, "file") == "file":
                    found[slot.name] = slot.type
        appearance = element.attrib.get("appearance", "")
        for name in _SEARCH.findall(appearance):
            found.setdefault(f"{name}.csv", "file")
    return tuple(AttachmentSlot(name, kind) for name, kind in sorted(found.items()))
