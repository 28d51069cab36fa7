"""Personal data and secrets at rest: phone numbers as a keyed hash plus an encrypted copy;
channel credentials and callback secrets encrypted. Keys come from the app's configuration."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class DecryptionFailed(Exception):
    """A stored value cannot be read with this server's SECRET_KEY (it changed?)."""

    code = "crypto.decryption_failed"


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    # HKDF with a purpose label, so the encryption key is never the raw SECRET_KEY.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"datashift-collect/encryption/v1").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _hash_key() -> bytes:
    key = current_app.config.get("PHONE_HASH_KEY")
    if key:
        return str(key).encode()
    # No PHONE_HASH_KEY (a first run): derive one from SECRET_KEY rather than hash unkeyed.
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"phone-hash/v1",
                    hashlib.sha256).digest()


def phone_hash(e164: str) -> str:
    """HMAC-SHA256 of an E.164 number under PHONE_HASH_KEY: the same person, the same hash."""
    return hmac.new(_hash_key(), e164.encode(), hashlib.sha256).hexdigest()


def encrypt(text: str) -> str:
    """Fernet-encrypt a string under a key derived from SECRET_KEY."""
    return _fernet(current_app.config["SECRET_KEY"]).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of `encrypt`'s output."""
    try:
        return _fernet(current_app.config["SECRET_KEY"]).decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed("stored value cannot be decrypted") from None


def encrypt_json(value: dict[str, Any]) -> str:
    return encrypt(json.dumps(value, sort_keys=True))


def decrypt_json(token: str) -> dict[str, Any]:
    return json.loads(decrypt(token))


def new_secret() -> str:
    """A long random URL-safe secret for a callback URL (256 bits)."""
    return secrets.token_urlsafe(32)

