"""Typed, coded ingest errors; codes and messages are ODK Central's, the web layer maps them."""
from __future__ import annotations

import math
from typing import Any


class IngestError(Exception):
    """A submission refused; `code` is Central's problem code (HTTP status = its integer part)."""

    code: float = 400.0

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def status(self) -> int:
        return math.floor(self.code)


class Unparseable(IngestError):
    code = 400.1

    def __init__(self, raw_length: int, reason: str = ""):
        super().__init__(f"Could not parse the given data ({raw_length} chars) as xml."
                         + (f" {reason}" if reason else ""),
                         {"format": "xml", "rawLength": raw_length})


class MissingFormId(IngestError):
    code = 400.2

    def __init__(self) -> None:
        super().__init__("Required parameter form ID xml attribute missing.",
                         {"field": "form ID xml attribute"})


class FormIdMismatch(IngestError):
    code = 400.8

    def __init__(self, got: str) -> None:
        super().__init__(f"Unexpected form id value {got}; did not match the form ID in the URL",
                         {"field": "form id", "value": got,
                          "reason": "did not match the form ID in the URL"})


class MissingDeprecatedId(IngestError):
    code = 400.19

    def __init__(self) -> None:
        super().__init__("The submission you are trying to update is missing a deprecatedID. "
                         "You must include it.", {"field": "deprecatedID"})


class FormNotFound(IngestError):
    code = 404.1

    def __init__(self) -> None:
        super().__init__("Could not find the resource you were looking for.")


class DeprecatedIdNotFound(IngestError):
    code = 404.5

    def __init__(self, deprecated_id: str) -> None:
        super().__init__("You tried to update an existing submission, but we can't find that "
                         f"submission to update ({deprecated_id})", {"deprecatedId": deprecated_id})


class FormVersionNotFound(IngestError):
    code = 404.6

    def __init__(self, version: str) -> None:
        super().__init__(f"The form version specified in this submission '{version}' does not "
                         "exist.", {"formVersion": version})


class XmlConflict(IngestError):
    code = 409.1

    def __init__(self) -> None:
        super().__init__("A submission already exists with this ID, but with different XML. "
                         "Resubmissions to attach additional multimedia must resubmit an "
                         "identical xml_submission_file.")


class NotAcceptingSubmissions(IngestError):
    code = 409.2

    def __init__(self) -> None:
        super().__init__("This form is not currently accepting submissions. Please talk to your "
                         "program staff if this is unexpected.")


class InstanceIdConflict(IngestError):
    code = 409.8

    def __init__(self) -> None:
        super().__init__("You tried to update a submission, but the instanceID you provided "
                         "already exists on this server. Please try again with a unique "
                         "instanceID.")


class DeprecatingOldSubmission(IngestError):
    code = 409.9

    def __init__(self, deprecated_id: str) -> None:
        super().__init__(f"You tried to update a submission, but the copy you were editing "
                         f"({deprecated_id}) is now out of date. Please get the new version that "
                         "has been submitted, and make your edits again.",
                         {"deprecatedId": deprecated_id})
