"""Run ODK Validate (JavaRosa, shipped inside pyxform) on an XForm when Java is present."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

from forms.errors import XLSFormError

JAVA_MISSING = "ODK Validate skipped: Java not found"


@dataclass(frozen=True)
class ValidateResult:
    """Whether Validate ran to a pass, and the warnings it (or its absence) produced."""

    validated: bool
    warnings: tuple[str, ...]


def java_available() -> bool:
    """True when a `java` executable is on PATH."""
    return shutil.which("java") is not None


def run_odk_validate(xform_xml: bytes) -> ValidateResult:
    """Validate the XForm; raise XLSFormError with Validate's message when JavaRosa rejects it."""
    from pyxform.validators import odk_validate  # loaded on the first upload, not at start

    if not java_available() or not odk_validate.install_exists():
        return ValidateResult(validated=False, warnings=(JAVA_MISSING,))
    fd, path = tempfile.mkstemp(suffix=".xml", prefix="xform-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(xform_xml)
        warnings = odk_validate.check_xform(path)
    except odk_validate.ODKValidateError as exc:
        raise XLSFormError(str(exc).strip()) from exc
    except OSError as exc:  # java vanished between the check and the run
        return ValidateResult(validated=False, warnings=(f"{JAVA_MISSING} ({exc})",))
    finally:
        os.unlink(path)
    # check_xform returns (rather than raises) on a timeout or an odd exit code.
    passed = not any(w.startswith(("XForm took", "Bad return code")) for w in warnings)
    return ValidateResult(validated=passed, warnings=tuple(warnings))
