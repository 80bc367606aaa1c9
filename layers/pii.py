"""Encryption of personal data at rest (RODO): owners' PESEL numbers.

Fernet (AES-128-CBC + HMAC) with a key derived from ``settings.GEOGMINA_PII_KEY``, so a database
dump alone does not disclose PESELs. Decryption is for selectors that have already checked
``Capability.VIEW_OWNERS`` and written the audit log.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    if not secret:
        raise RuntimeError("GEOGMINA_PII_KEY is empty: personal data cannot be stored")
    key = hashlib.pbkdf2_hmac("sha256", secret.encode(), b"geogmina-pii-v1", 100_000, dklen=32)
    return Fernet(base64.urlsafe_b64encode(key))


def fernet() -> Fernet:
    return _fernet(settings.GEOGMINA_PII_KEY)


def encrypt(value: str) -> bytes:
    """Plain text → Fernet token (bytes); random IV, so equal PESELs give different tokens."""
    return fernet().encrypt(value.encode("utf-8"))


def decrypt(token: bytes | memoryview | None) -> str | None:
    if token is None:
        return None
    try:
        return fernet().decrypt(bytes(token)).decode("utf-8")
    except InvalidToken:
        return None
