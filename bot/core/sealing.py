"""What the anonymity key (bot.core.feedback_key: never in the database) makes:

- a respondent tag (HMAC of person, team and month) counts different people without saying who; it is kept
  apart from the items (storage.models.FeedbackRespondent), so two items of one author share nothing;
- a sealed reply link (AES-GCM, random nonce, no timestamp inside) lets a leader's reply reach an author
  who opted in, without the leader or the database learning who it is;
- a sealed pending item: an anonymous submission waiting for the day's release, padded to one size so that
  neither its text nor its length can be read or matched before it is released.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SealError(Exception):
    """A sealed link cannot be opened (no key, or not the key it was sealed with)."""


def respondent_tag(key: bytes, person_id: int, team_id: int, month: str) -> str:
    return hmac.new(key, f"respondent:{person_id}:{team_id}:{month}".encode(), hashlib.sha256).hexdigest()


def submission_key(key: bytes, submission_id: str) -> str:
    return hmac.new(key, f"submission:{submission_id}".encode(), hashlib.sha256).hexdigest()


def seal(key: bytes, platform_user_id: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, platform_user_id.encode(), b"drumbeat-reply")


def open_seal(key: bytes | None, sealed: bytes, *, purpose: bytes = b"drumbeat-reply") -> str:
    if key is None:
        raise SealError("no feedback key is configured")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose).decode()
    except (InvalidTag, ValueError) as error:
        raise SealError("the reply link cannot be opened with this key") from error


PENDING = b"drumbeat-pending"
PENDING_BYTES = 16384  # more than three fields of 1,000 characters of 4 bytes each, with their JSON


def seal_pending(key: bytes, item: dict[str, object]) -> bytes:
    """An anonymous submission sealed until its release, padded so that every sealed item has the same size."""
    plain = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
    size = -(-len(plain) // PENDING_BYTES) * PENDING_BYTES
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain.ljust(size, b" "), PENDING)


def open_pending(key: bytes, sealed: bytes) -> dict[str, object]:
    item = json.loads(open_seal(key, sealed, purpose=PENDING))
    assert isinstance(item, dict)
    return item
