"""The signature a receiver checks: HMAC-SHA256 of the exact body bytes with the secret."""
from __future__ import annotations

import hashlib
import hmac

HEADER = "X-DataShift-Signature-256"
EVENT_HEADER = "X-DataShift-Event"
DELIVERY_HEADER = "X-DataShift-Delivery"


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`, the value of the signature header."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does (constant-time comparison); used by our tests and the docs."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)
