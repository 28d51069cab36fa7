"""A test client that talks to the server the way ODK Collect does (real HTTP, `requests`).

What it copies from Collect (open-rosa/, OpenRosaServerInstanceUploader, OkHttpConnection):
no credentials until a 401 challenges it; Digest (Basic only over https); the nonce reused with
an incrementing `nc` and no cookies; HEAD submission first; attachments split across POSTs by
X-OpenRosa-Accept-Content-Length, the same XML in each and `*isIncomplete*=yes` on all but the
last; `?deviceID=` on every request; a malformed `Date` header.
"""
from __future__ import annotations

import hashlib
import http.cookiejar
import os
from dataclasses import dataclass, field

import requests
from werkzeug.http import parse_dict_header


@dataclass
class _Digest:
    realm: str
    nonce: str
    opaque: str | None
    qop: str | None
    nc: int = 0


@dataclass
class CollectClient:
    server_url: str  # what the volunteer types: .../v1/projects/{pid} or .../v1/key/{t}/...
    username: str | None = None
    password: str | None = None
    device_id: str = "collect:Xh2kPq9sVbZ0"
    history: list[requests.Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        # Collect keeps no cookies between requests.
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._digest: _Digest | None = None

    # -- the three things Collect does -------------------------------------------------------
    def form_list(self) -> requests.Response:
        return self.request("GET", f"{self.server_url}/formList")

    def get(self, url: str) -> requests.Response:
        return self.request("GET", url)

    def submit(self, xml: bytes, files: dict[str, bytes]) -> list[requests.Response]:
        """HEAD, then as many POSTs as the accepted length needs; returns every response."""
        url = f"{self.server_url}/submission"
        head = self.request("HEAD", url)
        if head.status_code != 204:
            return [head]
        limit = int(head.headers["X-OpenRosa-Accept-Content-Length"])
        batches: list[dict[str, bytes]] = [{}]
        size = len(xml)
        for name, data in files.items():
            if batches[-1] and size + len(data) > limit:
                batches.append({})
                size = len(xml)
            batches[-1][name] = data
            size += len(data)
        responses = []
        for index, batch in enumerate(batches):
            parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
            parts += [(name, (name, data, _mime(name))) for name, data in batch.items()]
            data = {"*isIncomplete*": "yes"} if index < len(batches) - 1 else {}
            response = self.request("POST", url, files=parts, data=data)
            responses.append(response)
            if response.status_code != 201:
                break
        return responses

    # -- HTTP as OkHttp with the digest authenticator does it --------------------------------
    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        params = {"deviceID": self.device_id}
        for attempt in range(3):
            headers = {"X-OpenRosa-Version": "1.0",
                       "User-Agent": "org.odk.collect.android/v2024.3.1",
                       # Collect's Date is not RFC 1123; servers must not check it.
                       "Date": "Thu, 26 Nov 2026 20:00:00 GMT+00:00",
                       "Accept-Encoding": "gzip,deflate"}
            if self._digest is not None:
                headers["Authorization"] = self._authorization(method, url, params)
            response = self.session.request(method, url, params=params, headers=headers,
                                            allow_redirects=False, timeout=30, **kwargs)
            self.history.append(response)
            if response.status_code != 401 or self.username is None:
                return response
            challenge = self._challenge(response)
            if challenge is None:
                return response
            had_nonce = self._digest is not None
            stale = challenge.pop("stale", "").lower() == "true"
            if had_nonce and not stale and attempt > 0:
                return response  # wrong password: Collect asks the user, we give up
            self._digest = _Digest(realm=challenge["realm"], nonce=challenge["nonce"],
                                   opaque=challenge.get("opaque"), qop=challenge.get("qop"))
        return response

    @staticmethod
    def _challenge(response: requests.Response) -> dict[str, str] | None:
        for value in response.raw.headers.getlist("WWW-Authenticate"):
            scheme, _, rest = value.partition(" ")
            if scheme.lower() == "digest":
                return dict(parse_dict_header(rest))
        return None

    def _authorization(self, method: str, url: str, params: dict[str, str]) -> str:
        digest = self._digest
        assert digest is not None and self.username is not None and self.password is not None
        prepared = requests.Request(method, url, params=params).prepare()
        uri = prepared.path_url
        digest.nc += 1
        nc = f"{digest.nc:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = _md5(f"{self.username}:{digest.realm}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        answer = _md5(f"{ha1}:{digest.nonce}:{nc}:{cnonce}:auth:{ha2}")
        header = (f'Digest username="{self.username}", realm="{digest.realm}", '
                  f'nonce="{digest.nonce}", uri="{uri}", response="{answer}", qop=auth, '
                  f'nc={nc}, cnonce="{cnonce}", algorithm=MD5')
        if digest.opaque:
            header += f', opaque="{digest.opaque}"'
        return header


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _mime(name: str) -> str:
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}.get(
        name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
