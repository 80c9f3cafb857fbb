"""The two files a Teams summary links to, served by Drumbeat's own web server beside `/api/messages`:

- `GET /teams/chart.png?t=...`: the Momentum chart, which Teams fetches for the card's Image;
- `GET /teams/summary.csv?t=...`: the figures as CSV, which the card's download button opens in a browser.

Each request carries a sealed ticket (`bot.teams.links`), and the file is computed anew from the database for
the person the ticket names, as of the moment the card's figures were taken: the same figures as the card, with
their role checked now. A ticket that is altered, for the other file, or expired gets 403 and a sentence; so
does a person no longer allowed to see the figures. Charts are kept a little while in memory (Teams fetches an
image once per client and device), CSVs never: they name reps, so each download checks the role again.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Final
from urllib.parse import parse_qs, urlencode

from bot.core import summaries
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.core.summary_chart import chart_png, wants_chart
from bot.core.summary_export import export_filename, summary_csv
from bot.services import Services
from bot.teams.identity import PLATFORM
from bot.teams.links import CHART, CSV, LinkSealer, Ticket, TicketError
from storage.address import Address

log = logging.getLogger(__name__)

CHART_PATH: Final = "/teams/chart.png"
CSV_PATH: Final = "/teams/summary.csv"
PATHS: Final = {CHART: CHART_PATH, CSV: CSV_PATH}
CACHED_CHARTS: Final = 64
EXPIRED: Final = "This link has expired or is not valid. Ask Drumbeat for the summary again to get a new one.\n"
NOT_ALLOWED: Final = "These figures are not yours to see any more.\n"

StartResponse = Callable[..., Any]


def link(public_url: str, kind: str, token: str) -> str:
    return f"{public_url}{PATHS[kind]}?{urlencode({'t': token})}"


class Downloads:
    def __init__(self, services: Services, sealer: LinkSealer) -> None:
        self.services = services
        self.sealer = sealer
        self._charts: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def routes(self) -> dict[str, Callable[..., Iterable[bytes]]]:
        return {CHART_PATH: self._app(CHART), CSV_PATH: self._app(CSV)}

    def _app(self, kind: str) -> Callable[..., Iterable[bytes]]:
        def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            method = environ.get("REQUEST_METHOD", "GET")
            if method not in ("GET", "HEAD"):
                return _answer(start_response, "405 Method Not Allowed", b"GET only.\n", extra=[("Allow", "GET, HEAD")])
            token = (parse_qs(environ.get("QUERY_STRING") or "").get("t") or [""])[0]
            try:
                ticket = self.sealer.open(token, kind=kind, now=self.services.clock())
                content_type, body, extra = self._file(ticket, token)
            except TicketError:
                return _answer(start_response, "403 Forbidden", EXPIRED.encode())
            except DrumbeatError:
                return _answer(start_response, "403 Forbidden", NOT_ALLOWED.encode())
            except LookupError:
                return _answer(start_response, "404 Not Found", b"There is no chart for these figures.\n")
            return _answer(start_response, "200 OK", body, content_type=content_type, extra=extra,
                           head=method == "HEAD")

        return application

    def _file(self, ticket: Ticket, token: str) -> tuple[str, bytes, list[tuple[str, str]]]:
        if ticket.kind == CHART:
            with self._lock:
                cached = self._charts.get(token)
            if cached is None:
                cached = self._compute(ticket)
                with self._lock:
                    self._charts[token] = cached
                    while len(self._charts) > CACHED_CHARTS:
                        self._charts.popitem(last=False)
            return "image/png", cached, [("Cache-Control", "private, max-age=86400")]
        body, filename = self._compute_csv(ticket)
        return "text/csv; charset=utf-8", body, [("Cache-Control", "no-store"),
                                                 ("Content-Disposition", f'attachment; filename="{filename}"')]

    def _summary(self, ticket: Ticket, session: Any) -> summaries.Summary:
        person = identify(session, Address(PLATFORM, ticket.caller))
        named: Address | str | None = ticket.person
        if ticket.person not in (None, "me"):
            named = Address(PLATFORM, str(ticket.person))
        request = summaries.SummaryRequest(team_name=ticket.team, person=named, days=ticket.days)
        return summaries.summarise(session, caller=person, request=request, now=ticket.taken_at,
                                   thresholds=self.services.feedback_thresholds)

    def _compute(self, ticket: Ticket) -> bytes:
        with self.services.unit_of_work() as session:
            result = self._summary(ticket, session)
            if not isinstance(result, summaries.TeamSummary) or not wants_chart(result):
                raise LookupError("no chart")
            return chart_png(result)

    def _compute_csv(self, ticket: Ticket) -> tuple[bytes, str]:
        with self.services.unit_of_work() as session:
            result = self._summary(ticket, session)
            name = "".join(c if c.isascii() and c not in '"\\' else "-" for c in export_filename(result))
            return summary_csv(result).encode("utf-8"), name


def _answer(start_response: StartResponse, status: str, body: bytes, *, content_type: str = "text/plain; charset=utf-8",
            extra: list[tuple[str, str]] | None = None, head: bool = False) -> Iterable[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
               ("X-Content-Type-Options", "nosniff"), *(extra or [("Cache-Control", "no-store")])]
    start_response(status, headers)
    return [b""] if head else [body]
