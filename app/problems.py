"""Typed, coded errors in ODK Central's problem shape; HTTP status = the code's integer part."""
from __future__ import annotations

import math
from typing import Any


class Problem(Exception):
    """An error a client can act on: `{"code": 404.1, "message": ..., "details": ...}`."""

    def __init__(self, code: float, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def status(self) -> int:
        return math.floor(self.code)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


def unparseable(fmt: str, raw_length: int) -> Problem:
    return Problem(400.1, f"Could not parse the given data ({raw_length} chars) as {fmt}.",
                   {"format": fmt, "rawLength": raw_length})


def missing_parameter(field: str) -> Problem:
    return Problem(400.2, f"Required parameter {field} missing.", {"field": field})


def missing_multipart_field(field: str) -> Problem:
    return Problem(400.7, f"Required multipart POST field {field} missing.", {"field": field})


def unexpected_value(field: str, value: object, reason: str) -> Problem:
    return Problem(400.8, f"Unexpected {field} value {value}; {reason}",
                   {"field": field, "value": value, "reason": reason})


def authentication_failed() -> Problem:
    return Problem(401.2, "Could not authenticate with the provided credentials.")


def https_only() -> Problem:
    return Problem(401.3, "This authentication method is only available over HTTPS")


def insufficient_rights() -> Problem:
    return Problem(403.1, "The authentication you provided does not have rights to perform "
                          "that action.")


def not_found() -> Problem:
    return Problem(404.1, "Could not find the resource you were looking for.")


def too_large(limit: int) -> Problem:
    return Problem(413.1, f"The request body is larger than the limit of {limit} bytes.",
                   {"limit": limit})


def unsupported_media_type(got: str | None, allowed: list[str]) -> Problem:
    return Problem(415.1, f"Unsupported Content-Type {got or '[nothing]'}; this resource "
                          f"accepts: {', '.join(allowed)}.", {"allowed": allowed})


def uniqueness_violation(fields: str, values: str) -> Problem:
    return Problem(409.3, f"A resource already exists with {fields} value(s) of {values}.",
                   {"fields": fields, "values": values})


def version_uniqueness(xml_form_id: str, version: str) -> Problem:
    return Problem(409.6, f"You tried to publish the form '{xml_form_id}' with version "
                          f"'{version}', but a published form has already existed in this "
                          "project with those identifiers. Please choose a new name and try "
                          "again. You can re-request with ?version=xyz to have the version "
                          "changed in-place for you.", {"xmlFormId": xml_form_id,
                                                        "version": version})


def too_many_attempts(retry_after: int) -> Problem:
    return Problem(429.1, f"Too many failed login attempts; try again in {retry_after} seconds.",
                   {"retryAfter": retry_after})


def not_implemented(feature: str) -> Problem:
    return Problem(501.1, f"The requested feature {feature} is not supported by this server.",
                   {"feature": feature})


def invalid_state(message: str, details: dict[str, Any] | None = None) -> Problem:
    """The resource exists but is not in a state that allows this action."""
    return Problem(409.1, message, details)


def no_published_version() -> Problem:
    """Deleting the draft of a form that was never published (Central's 409.7)."""
    return Problem(409.7, "Could not delete draft, because the form has not been published. "
                          "Either delete the whole form, or replace the draft.")


def unparseable_odata(reason: str) -> Problem:
    return Problem(400.18, f"The OData filter expression you provided could not be parsed: "
                           f"{reason}", {"reason": reason})


def invalid_skiptoken() -> Problem:
    return Problem(400.35, "Invalid $skiptoken")


def unsupported_odata_expression(at: int, kind: str, text: str) -> Problem:
    return Problem(501.4, "The given OData filter expression uses features not supported by "
                          f'this server: {kind} at {at} ("{text}")',
                   {"at": at, "type": kind, "text": text})


def unsupported_odata_field(at: int, text: str) -> Problem:
    return Problem(501.5, "The given OData filter expression references fields not supported "
                          f"by this server: {text} at {at}", {"at": at, "text": text})


def unsupported_odata_expand(text: str) -> Problem:
    return Problem(501.6, f'The given OData expand expression is not supported by this server: '
                          f'"{text}". Currently, only "$expand=*" is supported.', {"text": text})
