"""The page's routes: server-rendered Jinja2 templates (autoescaped) and htmx, on Starlette.

Every action is a plain HTML form posted to one of these routes, answered with a redirect back to the page
(so the page also works without JavaScript); htmx's hx-boost makes each of them a swap of the page body,
keeping the visitor's place. The routes only parse the form and call the sandbox (bot.web_sandbox.session),
on a worker thread, since each call waits for the bot's answer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChainableUndefined, Environment, PackageLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.demo import DEMO_PEOPLE, DemoPerson
from bot.web_sandbox import clock as clock_moves
from bot.web_sandbox.forms import field_of, slack_value
from bot.web_sandbox.mrkdwn import mrkdwn_html, text_html
from bot.web_sandbox.session import WebSandbox, form_fields
from bot.web_sandbox.tour import STEPS, run_step

STATIC = Path(__file__).with_name("static")
CSV_ROWS_SHOWN = 8  # the header and the first rows of a CSV the bot sent; the whole file is a download
TABS = ("messages", "home")


def templates() -> Jinja2Templates:
    env = Environment(loader=PackageLoader("bot.web_sandbox", "templates"), autoescape=True,
                      undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True)
    names = {person.slack_id: person.name for person in DEMO_PEOPLE}
    env.filters["text"] = lambda obj: text_html(obj, names)
    env.filters["mrkdwn"] = lambda text: mrkdwn_html(str(text), names)
    env.globals["people_list"] = DEMO_PEOPLE
    return Jinja2Templates(env=env)


def back(person: DemoPerson, tab: str = "messages") -> RedirectResponse:
    return RedirectResponse("/?" + urlencode({"as": person.handle, "tab": tab}), status_code=303)


def file_view(web: WebSandbox, file: dict[str, Any]) -> dict[str, Any]:
    """A file in a message as the page shows it: an image inline; a CSV's first rows, and a download link."""
    upload = web.file(str(file.get("id"))) or {}
    data: bytes = upload.get("bytes") or b""
    kind = str(file.get("filetype", "")).lower()
    rows: list[list[str]] = []
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"))))
    return {"id": file.get("id"), "name": str(file.get("name", "")), "title": str(file.get("title") or ""),
            "image": kind in ("png", "jpg", "jpeg", "gif"), "alt": str(upload.get("alt_txt") or file.get("title") or ""),
            "rows": rows[:CSV_ROWS_SHOWN], "more_rows": max(0, len(rows) - CSV_ROWS_SHOWN), "size": len(data)}


def page_context(web: WebSandbox, person: DemoPerson, tab: str) -> dict[str, Any]:
    modal = web.modal(person)
    drafts, errors = web.draft(person, modal["id"]) if modal else ({}, {})
    fields = {str(b.get("block_id")): field_of(b, drafts, errors)
              for b in (modal or {}).get("blocks") or [] if b.get("type") == "input"}
    stream = [{**m, "file_views": [file_view(web, f) for f in m.get("files") or []]} for m in web.stream(person)]
    return {
        "person": person, "tab": tab, "now": web.clock(), "command": web.command_name,
        "people": [(p, web.local_time(p)) for p in DEMO_PEOPLE], "local": web.local_time(person),
        "stream": stream, "home": web.home_view(person) if tab == "home" else None,
        "modal": modal, "fields": fields, "modal_errors": errors, "notice": web.take_notice(person),
        "log": web.log_tail(), "zones": clock_moves.zones(), "steps": STEPS,
    }


def build_app(web: WebSandbox) -> Starlette:
    routes = Routes(web, templates())
    table = [
        Route("/", routes.page), Route("/command", routes.command, methods=["POST"]),
        Route("/home", routes.home, methods=["POST"]), Route("/act", routes.click, methods=["POST"]),
        Route("/view", routes.view, methods=["POST"]), Route("/clock", routes.clock, methods=["POST"]),
        Route("/tour", routes.tour, methods=["POST"]), Route("/files/{file_id}", routes.file),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    # Only this machine's names: a web page elsewhere cannot reach the sandbox through a rebound DNS name.
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])]
    return Starlette(routes=table, middleware=middleware)


def _first(fields: Mapping[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


def _tab(fields: Mapping[str, list[str]]) -> str:
    return _first(fields, "tab") if _first(fields, "tab") in TABS else "messages"


class Routes:
    """One method per route: parse the form, call the sandbox on a worker thread, redirect back to the page."""

    def __init__(self, web: WebSandbox, pages: Jinja2Templates) -> None:
        self.web = web
        self.pages = pages

    async def _form(self, request: Request) -> tuple[DemoPerson, dict[str, list[str]]]:
        posted = await request.form()
        fields = form_fields({key: [str(v) for v in posted.getlist(key)] for key in posted.keys()})
        return self.web.person(_first(fields, "as")), fields

    async def page(self, request: Request) -> Response:
        person = self.web.person(request.query_params.get("as"))
        tab = request.query_params.get("tab") if request.query_params.get("tab") in TABS else "messages"
        context = await run_in_threadpool(page_context, self.web, person, tab)
        return self.pages.TemplateResponse(request, "page.html", context)

    async def command(self, request: Request) -> Response:
        person, fields = await self._form(request)
        await run_in_threadpool(self.web.command, person, _first(fields, "text"))
        return back(person)

    async def home(self, request: Request) -> Response:
        person, _ = await self._form(request)
        await run_in_threadpool(self.web.open_home, person)
        return back(person, "home")

    async def click(self, request: Request) -> Response:
        """A click or pick on a message (channel + ts) or on the Home tab (view_id)."""
        person, fields = await self._form(request)
        kind = _first(fields, "kind")
        common = {"action_id": _first(fields, "action_id"), "label": _first(fields, "label"),
                  "value": None if kind == "button" else slack_value(kind, fields.get("value", []))}
        if _first(fields, "view_id"):
            await run_in_threadpool(lambda: self.web.click_view(person, view_id=_first(fields, "view_id"), **common))
            return back(person, "home")
        await run_in_threadpool(lambda: self.web.click_message(person, channel=_first(fields, "channel"),
                                                               ts=_first(fields, "ts"), **common))
        return back(person)

    async def view(self, request: Request) -> Response:
        """The open modal's form: submitted, closed, an input that tells the bot at once, or one of its buttons."""
        person, fields = await self._form(request)
        modal = await run_in_threadpool(self.web.modal, person)
        if modal is None or modal["id"] != _first(fields, "view_id"):
            return back(person, _tab(fields))  # submitted or closed already (a second click): nothing to do
        op = _first(fields, "op") or _first(fields, "op_change") or "submit"
        if op == "close":
            await run_in_threadpool(self.web.close_modal, person, modal["id"])
        elif op.startswith("change:"):
            await run_in_threadpool(self.web.change_input, person, modal, op.removeprefix("change:"), fields)
        elif op.startswith("action:"):
            action_id = op.removeprefix("action:")
            value = slack_value(_first(fields, f"kind:{action_id}"), fields.get(f"value:{action_id}", []))
            await run_in_threadpool(lambda: self.web.click_view(person, view_id=modal["id"], action_id=action_id,
                                                                value=value))
        else:
            await run_in_threadpool(self.web.submit_modal, person, modal, fields)
        return back(person, _tab(fields))

    async def clock(self, request: Request) -> Response:
        """+1 hour, +1 day, or the next weekday at a time in a zone (`weekday:0@08:00`)."""
        person, fields = await self._form(request)
        move, zone = _first(fields, "move"), _first(fields, "zone")
        if move in clock_moves.MOVES:
            target = self.web.clock() + clock_moves.MOVES[move]
        elif move.startswith("weekday:") and zone in clock_moves.zones():
            weekday, _, at = move.removeprefix("weekday:").partition("@")
            target = clock_moves.next_local(self.web.clock(), zone=zone, weekday=int(weekday) % 7,
                                            at=time.fromisoformat(at or "08:00"))
        else:
            return back(person, _tab(fields))
        await run_in_threadpool(clock_moves.advance, self.web, target)
        return back(person, _tab(fields))

    async def tour(self, request: Request) -> Response:
        person, fields = await self._form(request)
        number = _first(fields, "step")
        step = await run_in_threadpool(run_step, self.web, int(number)) if number.isdigit() else None
        return back(self.web.person(step.shows) if step else person)

    async def file(self, request: Request) -> Response:
        """A file the bot uploaded: shown inline (an image), or downloaded (`?download=1`)."""
        found = await run_in_threadpool(self.web.file, request.path_params["file_id"])
        if found is None:
            return PlainTextResponse("No such file.", status_code=404)
        name = Path(str(found["filename"])).name.replace('"', "")
        kind = {".csv": "text/csv", ".png": "image/png"}.get(Path(name).suffix.lower(), "application/octet-stream")
        disposition = "attachment" if request.query_params.get("download") else "inline"
        return Response(found.get("bytes") or b"", media_type=kind,
                        headers={"Content-Disposition": f'{disposition}; filename="{name}"',
                                 "X-Content-Type-Options": "nosniff"})
