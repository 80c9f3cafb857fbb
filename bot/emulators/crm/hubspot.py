"""A loopback fake of the two HubSpot CRM endpoints the pull calls, as HubSpot's client sees them.

`POST /crm/v3/objects/deals/search` (filters on `hs_lastmodifieddate` with GT / GTE, sorted by it, `limit` and
`after` paging) and `GET /crm/v3/owners/` (paged), both behind a private app's bearer token (401 otherwise, with
HubSpot's error body). Deals are kept as HubSpot keeps them: an id, string properties, and a modification time
set on every change by the fake's own clock. Every request is recorded, so tests can see what a pull cost.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

SEARCH = "/crm/v3/objects/deals/search"
OWNERS = "/crm/v3/owners/"


@dataclass
class Request:
    method: str
    path: str
    body: dict[str, Any]


@dataclass
class FakeHubSpot:
    token: str = "pat-na1-fake"
    clock: datetime = field(default_factory=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    deals: dict[str, dict[str, str]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # owner id -> email
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- the portal, as a test changes it ---------------------------------------------------------------
    def put_deal(self, deal_id: str, **properties: str) -> None:
        """Create or change a deal; its modification time moves on, as HubSpot's does."""
        with self.lock:
            self.clock += timedelta(seconds=1)
            stamp = self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            deal = self.deals.setdefault(deal_id, {"createdate": stamp})
            deal.update(properties, hs_lastmodifieddate=stamp, hs_object_id=deal_id)

    def calls(self, path: str) -> list[Request]:
        with self.lock:
            return [request for request in self.requests if request.path == path]

    # -- serving -----------------------------------------------------------------------------------------
    def __enter__(self) -> FakeHubSpot:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                fake._answer(self, "POST")

            def do_GET(self) -> None:  # noqa: N802
                fake._answer(self, "GET")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}") if length else {}
        url = urlparse(handler.path)
        with self.lock:
            self.requests.append(Request(method, url.path, body))
            if handler.headers.get("Authorization") != f"Bearer {self.token}":
                status, answer = 401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                                       "message": "Authentication credentials not found."}
            elif method == "POST" and url.path == SEARCH:
                status, answer = 200, self._search(body)
            elif method == "GET" and url.path == OWNERS:
                status, answer = 200, self._owners(parse_qs(url.query))
            else:
                status, answer = 404, {"status": "error", "category": "OBJECT_NOT_FOUND", "message": url.path}
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json;charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        def kept(deal: dict[str, str]) -> bool:
            moment = _millis(deal["hs_lastmodifieddate"])
            for group in body.get("filterGroups") or [{}]:
                checks = [(f["operator"], int(f["value"])) for f in group.get("filters") or []
                          if f["propertyName"] == "hs_lastmodifieddate"]
                if all(moment > value if op == "GT" else moment >= value for op, value in checks):
                    return True
            return False

        found = sorted((item for item in self.deals.items() if kept(item[1])),
                       key=lambda item: (_millis(item[1]["hs_lastmodifieddate"]), item[0]))
        start, limit = int(body.get("after") or 0), min(int(body.get("limit") or 10), 200)
        page = found[start:start + limit]
        wanted = set(body.get("properties") or [])
        results = [{"id": deal_id, "properties": {k: v for k, v in props.items() if k in wanted or k == "hs_object_id"},
                    "createdAt": props["createdate"], "updatedAt": props["hs_lastmodifieddate"], "archived": False}
                   for deal_id, props in page]
        paging = {"next": {"after": str(start + limit)}} if start + limit < len(found) else None
        return {"total": len(found), "results": results, **({"paging": paging} if paging else {})}

    def _owners(self, query: dict[str, list[str]]) -> dict[str, Any]:
        owners = sorted(self.owners.items())
        start, limit = int((query.get("after") or ["0"])[0]), int((query.get("limit") or ["100"])[0])
        stamp = "2026-01-01T00:00:00.000Z"
        results = [{"id": owner_id, "email": email, "firstName": "", "lastName": "", "userId": int(owner_id),
                    "createdAt": stamp, "updatedAt": stamp, "archived": False}
                   for owner_id, email in owners[start:start + limit]]
        paging = {"next": {"after": str(start + limit)}} if start + limit < len(owners) else None
        return {"results": results, **({"paging": paging} if paging else {})}


def _millis(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
