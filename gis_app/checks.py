"""System checks of the project's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

# Keys that appear in the project's documentation or examples: known to anyone, so no secret.
_PUBLISHED_KEYS: frozenset[str] = frozenset()
_MIN_DISTINCT_BYTES = 16  # 32 random bytes hold fewer than 16 distinct values with p < 1e-9


def pii_key_problem(key: str) -> str | None:
    """Why ``key`` is not a random Fernet key (``Fernet.generate_key()``), or None when it is.

    A Fernet key is 32 bytes in URL-safe base64 (44 characters ending in ``=``). Beyond the
    format, a key made by hand is refused: few distinct bytes (``AAAA…=``, a repeated word) or
    bytes running in a constant step (0, 1, 2 …), or a key published in the documentation.
    """
    if not key:
        return "it is empty"
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32 or len(key) != 44:
        return ("it is not a Fernet key (32 random bytes in URL-safe base64, 44 characters, "
                "as Fernet.generate_key() prints)")
    if key in _PUBLISHED_KEYS:
        return "it is an example key published in the documentation"
    if len(set(raw)) < _MIN_DISTINCT_BYTES:
        return (f"it is not random: only {len(set(raw))} distinct bytes of 32 (a constant or "
                "repeated pattern)")
    steps = {(raw[i + 1] - raw[i]) % 256 for i in range(31)}
    if len(steps) == 1:
        return "it is not random: its bytes run in a constant step"
    return None


@register(Tags.security, deploy=True)
def check_pii_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = pii_key_problem(getattr(settings, "GEOGMINA_PII_KEY", ""))
    if problem is None:
        return []
    return [Error(
        f"GEOGMINA_PII_KEY is refused: {problem}.",
        hint=("Generate one with: python -c \"from cryptography.fernet import Fernet; "
              "print(Fernet.generate_key().decode())\" and keep it apart from the backups. "
              "Changing the key of a database that already holds PESEL numbers needs "
              "re-encryption (docs/operations.md, Keys)."),
        id="geogmina.E001",
    )]
