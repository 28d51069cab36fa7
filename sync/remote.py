"""The other server's API, as ODK Central speaks it, plus our sync extension.

`Remote` names every request the field-office sync, the pull of forms and the import make,
so that the same code talks to a DataShift central server and to a real ODK Central (which
has no `/sync` routes: `hello()` then answers None and the push falls back to OpenRosa).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sync.wire import Wire, WireError

BLANK_VERSION = "___"  # Central's stand-in for version="" in URLs


def _q(value: object) -> str:
    # As pyodk quotes path segments (Central decodes with decodeURIComponent).
    return quote(str(value), safe="*'()")


class Remote:
    def __init__(self, wire: Wire, project_id: int):
        self.wire = wire
        self.project_id = project_id
        self.base = f"/v1/projects/{project_id}"

    # -- projects, people ------------------------------------------------------------------
    def project(self) -> dict[str, Any]:
        return self.wire.call("GET", self.base).json()

    def app_users(self) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self.base}/app-users").json()

    # -- forms -----------------------------------------------------------------------------
    def forms(self) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self.base}/forms").json()

    def _form(self, xml_form_id: str) -> str:
        return f"{self.base}/forms/{_q(xml_form_id)}"

    def _version(self, xml_form_id: str, version: str) -> str:
        return f"{self._form(xml_form_id)}/versions/{_q(version or BLANK_VERSION)}"

    def form_versions(self, xml_form_id: str) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self._form(xml_form_id)}/versions").json()

    def form_version_xml(self, xml_form_id: str, version: str) -> bytes:
        return self.wire.call("GET", f"{self._version(xml_form_id, version)}.xml").content

    def form_version_workbook(self, xml_form_id: str, version: str) -> tuple[bytes, str] | None:
        """The XLSForm a version was published from, if the server kept one."""
        for suffix in ("xlsx", "xls"):
            response = self.wire.call("GET", f"{self._version(xml_form_id, version)}.{suffix}",
                                      ok=(200, 404))
            if response.status_code == 200:
                return response.content, response.headers.get("Content-Type", "")
        return None

    def form_version_attachments(self, xml_form_id: str, version: str) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self._version(xml_form_id, version)}/attachments").json()

    def form_version_attachment(self, xml_form_id: str, version: str, name: str) -> tuple[
            bytes, str | None]:
        response = self.wire.call(
            "GET", f"{self._version(xml_form_id, version)}/attachments/{_q(name)}")
        return response.content, response.headers.get("Content-Type")

    # -- submissions (read) ----------------------------------------------------------------
    def submissions(self, xml_form_id: str) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self._form(xml_form_id)}/submissions").json()

    def submitters(self, xml_form_id: str) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self._form(xml_form_id)}/submissions/submitters",
                              ok=(200, 404)).json() or []

    def _submission(self, xml_form_id: str, instance_id: str) -> str:
        return f"{self._form(xml_form_id)}/submissions/{_q(instance_id)}"

    def submission_versions(self, xml_form_id: str, root_id: str) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self._submission(xml_form_id, root_id)}/versions").json()

    def _submission_version(self, xml_form_id: str, root_id: str, instance_id: str) -> str:
        return f"{self._submission(xml_form_id, root_id)}/versions/{_q(instance_id)}"

    def submission_version_xml(self, xml_form_id: str, root_id: str, instance_id: str) -> bytes:
        return self.wire.call(
            "GET", f"{self._submission_version(xml_form_id, root_id, instance_id)}.xml").content

    def submission_version_attachments(self, xml_form_id: str, root_id: str,
                                       instance_id: str) -> list[dict[str, Any]]:
        return self.wire.call(
            "GET", f"{self._submission_version(xml_form_id, root_id, instance_id)}/attachments"
        ).json()

    def submission_version_attachment(self, xml_form_id: str, root_id: str, instance_id: str,
                                      name: str) -> bytes:
        path = self._submission_version(xml_form_id, root_id, instance_id)
        return self.wire.call("GET", f"{path}/attachments/{_q(name)}").content

    def submission_xml(self, xml_form_id: str, instance_id: str) -> bytes | None:
        response = self.wire.call("GET", f"{self._submission(xml_form_id, instance_id)}.xml",
                                  ok=(200, 404))
        return response.content if response.status_code == 200 else None

    def comments(self, xml_form_id: str, instance_id: str) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self._submission(xml_form_id, instance_id)}/comments",
                              headers={"X-Extended-Metadata": "true"}).json()

    # -- submissions (write, plain Central) ------------------------------------------------
    def openrosa_submit(self, xml: bytes, files: dict[str, tuple[bytes, str]],
                        device_id: str | None, timeout: float | None = None) -> int:
        """OpenRosa POST (what Collect does): 201 stored; a retry with the same XML only
        adds files. Returns the status; 4xx other than 401/403 raise WireError."""
        parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
        parts += [(name, (name, data, ctype)) for name, (data, ctype) in files.items()]
        params = {"deviceID": device_id} if device_id else None
        response = self.wire.call("POST", f"{self.base}/submission", files=parts,
                                  params=params, ok=(200, 201, 202),
                                  headers={"X-OpenRosa-Version": "1.0"}, timeout=timeout)
        return response.status_code

    def review(self, xml_form_id: str, instance_id: str, state: str) -> None:
        self.wire.call("PATCH", self._submission(xml_form_id, instance_id),
                       json_body={"reviewState": state})

    def add_comment(self, xml_form_id: str, instance_id: str, body: str) -> None:
        self.wire.call("POST", f"{self._submission(xml_form_id, instance_id)}/comments",
                       json_body={"body": body})

    # -- our sync extension ----------------------------------------------------------------
    def hello(self) -> dict[str, Any] | None:
        """Our server's link info; None from a server without the extension (ODK Central),
        or for a credential that is not a sync link (a web user: plain OpenRosa then)."""
        try:
            response = self.wire.call("GET", f"{self.base}/sync", ok=(200, 403, 404, 405))
        except WireError as error:
            if error.status in (400, 501):
                return None
            raise
        if response.status_code != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) and body.get("protocol") else None

    def upload_status(self, sha256: str, size: int) -> dict[str, Any]:
        return self.wire.call("GET", f"{self.base}/sync/uploads/{sha256}",
                              params={"size": size}).json()

    def upload_chunk(self, sha256: str, size: int, offset: int, data: bytes,
                     timeout: float | None = None) -> dict[str, Any]:
        """One chunk; a 409 (not where the staged bytes end) answers with `received` too."""
        end = offset + len(data) - 1
        response = self.wire.call(
            "PUT", f"{self.base}/sync/uploads/{sha256}", data=data, ok=(200, 409),
            headers={"Content-Range": f"bytes {offset}-{end}/{size}",
                     "Content-Type": "application/octet-stream"}, timeout=timeout)
        body = response.json()
        if response.status_code == 409:
            return {"received": int((body.get("details") or {}).get("received", 0)),
                    "complete": False}
        return body

    def batch(self, cursor: int | None, items: list[dict[str, Any]],
              timeout: float | None = None) -> dict[str, Any]:
        return self.wire.call("POST", f"{self.base}/sync/batches", gzip_body=True,
                              json_body={"cursor": cursor, "items": items},
                              timeout=timeout).json()

    def conflicts(self) -> list[dict[str, Any]]:
        return self.wire.call("GET", f"{self.base}/sync-conflicts").json()
