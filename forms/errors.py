"""Typed errors for form uploads, shaped like ODK Central's problems."""

from __future__ import annotations

from typing import Any


class FormError(Exception):
    """Base for every form error; `code` is ODK Central's problem code (HTTP status + detail)."""

    code: float = 400.0

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_problem(self) -> dict[str, Any]:
        """Central's error body: {"code": ..., "message": ..., "details": {...}}."""
        return {
            "code": self.code,
            "message": self.message,
            "details": {"error": self.message, **self.details},
        }


class XLSFormError(FormError):
    """The XLSForm could not be converted; names the sheet, row and column when known."""

    code = 400.15

    def __init__(
        self,
        message: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.sheet = sheet
        self.row = row
        self.column = column
        self.warnings = list(warnings or [])
        super().__init__(
            message,
            details={"warnings": self.warnings, "sheet": sheet, "row": row, "column": column},
        )


class XLSFormWarnings(FormError):
    """pyxform gave warnings and the caller did not ask to ignore them."""

    code = 400.16

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = list(warnings)
        super().__init__(
            "The XLSForm is valid, but it has warnings. Publish again with ignoreWarnings "
            "to accept them.",
            details={"warnings": self.warnings},
        )


class XFormParseError(FormError):
    """The XForm XML is broken, declares a DTD or entities, or lacks its form id."""

    code = 400.2


class UnsupportedUpload(FormError):
    """The upload is neither an XForm nor an XLSForm (content type or file type)."""

    code = 415.1


class UploadTooLarge(FormError):
    """The upload, or a workbook's uncompressed contents, is over the size limit."""

    code = 413.1


class FormIdMismatch(FormError):
    """The uploaded form's id differs from the form being updated."""

    code = 400.8

    def __init__(self, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Unexpected xmlFormId value {actual}; expected {expected}.",
            details={"field": "xmlFormId", "value": actual, "expected": expected},
        )
