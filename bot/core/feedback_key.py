"""The anonymity key: a random secret of its own, in a file beside the database (or given in the environment).

Why its own key: the key that counts different people and seals reply links must not be something other people
already hold. A key derived from the Slack signing secret was readable by anyone with the app's settings page in
Slack, and with the database that named every anonymous author (issue 14). So the key is 32 random bytes made
on the first start, kept in a file only the bot's user can read (mode 0600), never in the database and never
derived from a platform secret. `DRUMBEAT_FEEDBACK_KEY` replaces the file where a file is awkward (containers).

Several instances must share one key (share the file, or set the variable on each): with different keys, each
instance's people are counted apart (never more, see storage.queries.feedback) and one cannot open the other's
reply links. Two instances starting at once on a fresh machine: the file is created with O_EXCL, so exactly one
writes it; the other finds it there and reads the winner's key (waiting briefly while the winner writes it).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

KEY_BYTES = 32
KEY_ID_CHARS = 16
WAIT_FOR_WRITER_SECONDS = 2.0


class FeedbackKeyError(RuntimeError):
    """The key file cannot be read or created; the message is one line naming the file."""


@dataclass(frozen=True)
class FeedbackKey:
    """The secret and its public fingerprint: `key_id` is stored with what the key made, so that rows made under
    different keys are never counted as different people (a fingerprint reveals nothing about the key)."""

    secret: bytes
    source: str  # where it came from, for the start-up line
    created: bool = False

    @property
    def key_id(self) -> str:
        return hmac.new(self.secret, b"drumbeat-key-id", hashlib.sha256).hexdigest()[:KEY_ID_CHARS]

    def describe(self) -> str:
        """One line for the log at start: where the key is, whether it was just made, and its fingerprint."""
        made = " (created now: back this file up; losing it loses reply links)" if self.created else ""
        return f"Feedback key: {self.source}{made}, key id {self.key_id}"


def from_environment(value: str) -> FeedbackKey:
    """`DRUMBEAT_FEEDBACK_KEY`, hashed to 32 bytes (the same way as before the key file existed, so reply links
    sealed under a configured key still open)."""
    return FeedbackKey(hashlib.sha256(b"drumbeat-feedback-v1:" + value.encode()).digest(), "DRUMBEAT_FEEDBACK_KEY")


def load_or_create(path: Path) -> FeedbackKey:
    """Read the key file, or make it if there is none (atomically: of two racing starts one writes, both read)."""
    path = path.expanduser()
    try:
        return FeedbackKey(_read(path, wait=True), str(path))  # it may have been created a moment ago, unwritten
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return FeedbackKey(_read(path, wait=True), str(path))
    except OSError as error:
        raise FeedbackKeyError(f"cannot create the feedback key file {path} ({error.strerror}): set "
                               "DRUMBEAT_FEEDBACK_KEY_FILE to a writable path, or DRUMBEAT_FEEDBACK_KEY") from None
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(KEY_BYTES) + "\n")
        file.flush()
        os.fsync(file.fileno())
    return FeedbackKey(_read(path), str(path), created=True)


def _read(path: Path, *, wait: bool = False) -> bytes:
    deadline = time.monotonic() + (WAIT_FOR_WRITER_SECONDS if wait else 0.0)
    while True:
        try:
            text = path.read_text().strip()
        except PermissionError:
            raise FeedbackKeyError(f"cannot read the feedback key file {path}: permission denied") from None
        if len(text) == 2 * KEY_BYTES or time.monotonic() >= deadline:
            break
        time.sleep(0.01)  # another instance created the file a moment ago and is still writing it
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise FeedbackKeyError(f"the feedback key file {path} does not hold a key ({2 * KEY_BYTES} hex digits); "
                               "restore it from your backup")
    return secret


def readable_by_others(path: Path) -> bool:
    """Whether the key file's mode lets anyone but its owner read it (worth a warning at start)."""
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False
