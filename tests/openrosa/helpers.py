"""Small helpers for OpenRosa tests driven through Flask's test client."""
from __future__ import annotations

from io import BytesIO

from defusedxml.ElementTree import fromstring

OR = {"or": "http://openrosa.org/http/response"}


def post_submission(client, base: str, xml: bytes, files: dict[str, bytes] | None = None,
                    *, incomplete: bool = False, headers: dict[str, str] | None = None,
                    query: str = "?deviceID=collect:test"):
    """POST multipart as Collect does: `xml_submission_file`, then a part per file name."""
    data: dict = {"xml_submission_file": (BytesIO(xml), "submission.xml", "text/xml")}
    for name, content in (files or {}).items():
        data[name] = (BytesIO(content), name)
    if incomplete:
        data["*isIncomplete*"] = "yes"
    return client.post(f"{base}/submission{query}", data=data, content_type="multipart/form-data",
                       headers={"X-OpenRosa-Version": "1.0", **(headers or {})})


def openrosa_message(response) -> tuple[str, str]:
    """(nature, text) of an OpenRosaResponse body."""
    root = fromstring(response.data)
    message = root.find("or:message", OR)
    assert message is not None, response.data
    return message.get("nature"), message.text or ""


def assert_openrosa_headers(response) -> None:
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert response.headers.get("Date")
