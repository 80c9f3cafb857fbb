"""Keys for anonymous feedback: everything that could lead back to an author needs a secret that lives
in the settings, never in the database.

- a respondent tag (HMAC of person and month) counts different people without saying who;
- a sealed reply link (AES-GCM, random nonce, no timestamp inside) lets a leader's reply reach an author
  who opted in, without the leader or the database learning who it is.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SealError(Exception):
    """A sealed link cannot be opened (no key, or not the key it was sealed with)."""


def derive_key(secret: str) -> bytes:
    return hashlib.sha256(b"drumbeat-feedback-v1:" + secret.encode()).digest()


def respondent_tag(key: bytes, person_id: int, month: str) -> str:
    return hmac.new(key, f"respondent:{person_id}:{month}".encode(), hashlib.sha256).hexdigest()


def submission_key(key: bytes, submission_id: str) -> str:
    return hmac.new(key, f"submission:{submission_id}".encode(), hashlib.sha256).hexdigest()


def seal(key: bytes, platform_user_id: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, platform_user_id.encode(), b"drumbeat-reply")


def open_seal(key: bytes | None, sealed: bytes) -> str:
    if key is None:
        raise SealError("no feedback key is configured")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], b"drumbeat-reply").decode()
    except (InvalidTag, ValueError) as error:
        raise SealError("the reply link cannot be opened with this key") from error
