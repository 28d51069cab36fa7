"""The one-pass multipart split gives werkzeug's parts, or hands the body to werkzeug."""
from __future__ import annotations

import io

import pytest
from werkzeug.formparser import parse_form_data

from app.web import multipart

B = "bndry7d1f"


def body(*parts: tuple[bytes, bytes], boundary: str = B, end: bytes = b"--\r\n") -> bytes:
    out = b""
    for head, data in parts:
        out += f"--{boundary}\r\n".encode() + head + b"\r\n\r\n" + data + b"\r\n"
    return out + f"--{boundary}".encode() + end


def werkzeug_parts(raw: bytes, boundary: str = B):
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(raw)),
               "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
               "wsgi.input": io.BytesIO(raw)}
    _stream, form, files = parse_form_data(environ)
    return ([(k, None, v.encode()) for k, v in form.items(multi=True)],
            [(k, f.filename, f.read()) for k, f in files.items(multi=True)])


XML = b'<?xml version="1.0"?><data id="f"><a>1</a></data>'
COLLECT = body(
    (b'Content-Disposition: form-data; name="xml_submission_file"; filename="s.xml"\r\n'
     b"Content-Type: text/xml", XML),
    (b'Content-Disposition: form-data; name="p.jpg"; filename="p.jpg"\r\n'
     b"Content-Type: image/jpeg", b"\xff\xd8\r\n--not-the-boundary\xff\xd9"),
    (b'Content-Disposition: form-data; name="file"; filename="b.jpg"', b""),
    (b'content-disposition: form-data; name="note"', "caf\u00e9".encode()),
)


@pytest.mark.parametrize("raw", [COLLECT, body((b'Content-Disposition: form-data; '
                                                b'name="xml_submission_file"', XML)),
                                 COLLECT[:-2]])  # no CRLF after the last delimiter
def test_plain_bodies_split_as_werkzeug_parses_them(raw):
    parts = multipart.split(raw, B)
    assert parts is not None
    fields, files = werkzeug_parts(raw)
    assert [(p.name, p.filename, p.data) for p in parts if p.filename is None] == fields
    assert [(p.name, p.filename, p.data) for p in parts if p.filename is not None] == files


@pytest.mark.parametrize("raw", [
    b"preamble\r\n" + COLLECT,  # a preamble
    COLLECT.replace(b"\r\n", b"\n"),  # bare LF
    COLLECT.replace(b'filename="p.jpg"', b"filename*=UTF-8''p%C3%A9.jpg"),  # RFC 2231
    COLLECT.replace(b'filename="p.jpg"', b'filename="a%22b.jpg"'),  # an escaped quote
    COLLECT.replace(b'name="note"', b"name=note"),  # a token, not a quoted string
    body((b'Content-Disposition: form-data; name="x"\r\nContent-Type: text/plain; '
          b"charset=latin-1", b"caf\xe9")),  # a field in another charset
    body((b'Content-Disposition: form-data; name="x"; filename="x"\r\n'
          b"Content-Transfer-Encoding: base64", b"aGk=")),
    body((b'Content-Disposition: attachment; name="x"', b"1")),
    body((b"Content-Type: text/plain", b"no disposition")),
    body((b'Content-Disposition: form-data; name="x"', b"1"), end=b"--trailing junk"),
    COLLECT[:-6],  # cut short: no closing delimiter
    body((b'Content-Disposition: form-data; name="x"', b"y" * (multipart.MAX_FIELD + 1))),
])
def test_other_shapes_are_left_to_werkzeug(raw):
    assert multipart.split(raw, B) is None


def test_too_many_parts_are_left_to_werkzeug():
    many = body(*[(b'Content-Disposition: form-data; name="f"; filename="f"', b"1")]
                * (multipart.MAX_PARTS + 1))
    assert multipart.split(many, B) is None
    assert multipart.split(many, "é") is None
