"""Sealed, expiring links to what a summary offers in Teams: the Momentum chart (an Adaptive Card Image's url)
and the CSV of the figures (a download button).

Teams fetches a card's image from its own url, without any header of ours, and a browser opens a download link
the same way: the link itself has to say who may have what, and until when. So it carries a sealed ticket
(AES-GCM, from the `cryptography` library already used for feedback): the person's Entra object id, the summary
they asked for (team or person, period) and the moment its figures were taken, and an expiry. Sealed rather
than only signed, so a link copied into a log or a proxy's history shows no team name or id. Nothing is stored:
the file is computed again from the database when the link is opened, for the person the ticket names, with
their role checked again (a manager who lost the team gets nothing), so any instance can serve it and a
restart loses nothing.

The key is derived (HKDF) from the bot's client secret, the one secret every instance already shares; rotating
TEAMS_APP_PASSWORD ends the links outstanding, which expire within days anyway. It is never the anonymity key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHART: Final = "chart"
CSV: Final = "csv"
#: A chart stays in the chat's history: it shows for a week. The CSV names reps: its link is for now only.
LIFETIME: Final = {CHART: timedelta(days=7), CSV: timedelta(hours=1)}
NONCE_BYTES: Final = 12
MAX_TICKET_CHARS: Final = 2048


class TicketError(ValueError):
    """The link is not one of ours, was altered, is for another kind of file, or has expired."""


@dataclass(frozen=True)
class Ticket:
    """What a link lets its holder fetch: `kind` for `caller`, the summary they asked for, as of `taken`."""

    kind: str
    caller: str  # the Entra object id of the person who asked
    team: str | None
    person: str | None  # "me", or the Entra object id of the person asked about
    days: int
    taken: str  # ISO time the figures were taken at (the summary's `now`)
    expires: str  # ISO time

    @property
    def taken_at(self) -> datetime:
        return datetime.fromisoformat(self.taken)


class LinkSealer:
    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"drumbeat teams download links v1").derive(secret.encode())
        self._aead = AESGCM(key)

    def seal(self, *, kind: str, caller: str, team: str | None, person: str | None, days: int,
             taken: datetime) -> str:
        ticket = Ticket(kind, caller, team, person, days, taken.isoformat(), (taken + LIFETIME[kind]).isoformat())
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(asdict(ticket), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, plain, kind.encode())).decode().rstrip("=")

    def open(self, token: str, *, kind: str, now: datetime) -> Ticket:
        if not token or len(token) > MAX_TICKET_CHARS:
            raise TicketError("no ticket")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kind.encode())
            ticket = Ticket(**json.loads(plain))
        except (binascii.Error, ValueError, InvalidTag, TypeError) as error:
            raise TicketError("not a ticket of ours") from error
        if ticket.kind != kind or datetime.fromisoformat(ticket.expires) <= now:
            raise TicketError("expired")
        return ticket
