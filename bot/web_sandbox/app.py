"""The page's routes: server-rendered Jinja2 templates (autoescaped) and htmx, on Starlette.

Slack's page is at `/` (`Routes`: Block Kit rendered here, bot.web_sandbox.templates/blocks.html), Teams' at
`/teams/` (bot.web_sandbox.teams_app: Adaptive Cards rendered in the browser by Microsoft's renderer); either
or both run, with a switch between them when both do. The routes only parse the form and call the sandbox, on
a worker thread, since each call waits for the bot's answer; what both platforms share (the clock, the tour,
the page around the conversation) is `world_routes`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, PackageLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.demo import DEMO_PEOPLE, DemoPerson
from bot.web_sandbox.forms import field_of, slack_value
from bot.web_sandbox.mrkdwn import mrkdwn_html, text_html
from bot.web_sandbox.session import WebSandbox
from bot.web_sandbox.teams_app import TeamsRoutes, teams_routes
from bot.web_sandbox.teams_session import TeamsWebSandbox
from bot.web_sandbox.world_routes import Platforms, WorldRoutes, first

STATIC = Path(__file__).with_name("static")
CSV_ROWS_SHOWN = 8  # the header and the first rows of a CSV the bot sent; the whole file is a download


def templates() -> Jinja2Templates:
    env = Environment(loader=PackageLoader("bot.web_sandbox", "templates"), autoescape=True,
                      undefined=ChainableUndefined, trim_blocks=True, lstrip_blocks=True)
    names = {person.slack_id: person.name for person in DEMO_PEOPLE}
    env.filters["text"] = lambda obj: text_html(obj, names)
    env.filters["mrkdwn"] = lambda text: mrkdwn_html(str(text), names)
    env.globals["people_list"] = DEMO_PEOPLE
    return Jinja2Templates(env=env)


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


def page_context(routes: Routes, person: DemoPerson, tab: str) -> dict[str, Any]:
    web = routes.web
    modal = web.modal(person)
    drafts, errors = web.draft(person, modal["id"]) if modal else ({}, {})
    fields = {str(b.get("block_id")): field_of(b, drafts, errors)
              for b in (modal or {}).get("blocks") or [] if b.get("type") == "input"}
    stream = [{**m, "file_views": [file_view(web, f) for f in m.get("files") or []]} for m in web.stream(person)]
    return {**routes.around(person, tab), "stream": stream, "home": web.home_view(person) if tab == "home" else None,
            "modal": modal, "fields": fields, "modal_errors": errors}


def build_app(web: WebSandbox | None = None, teams: TeamsWebSandbox | None = None) -> Starlette:
    """The page for the worlds given: Slack's at `/`, Teams' at `/teams/` (`/` leads there when it is alone)."""
    pages = templates()
    platforms: Platforms = [(name, label, path) for world, name, label, path in
                            ((web, "slack", "Slack", ""), (teams, "teams", "Microsoft Teams", TeamsRoutes.base))
                            if world is not None]
    table: list[BaseRoute] = []
    if web is not None:
        routes = Routes(web, pages, platforms)
        table += [
            Route("/", routes.page), Route("/command", routes.command, methods=["POST"]),
            Route("/home", routes.home, methods=["POST"]), Route("/act", routes.click, methods=["POST"]),
            Route("/view", routes.view, methods=["POST"]), Route("/clock", routes.clock, methods=["POST"]),
            Route("/tour", routes.tour, methods=["POST"]), Route("/files/{file_id}", routes.file),
            Route("/changes", routes.changes),
        ]
    if teams is not None:
        table.append(Mount(TeamsRoutes.base, routes=teams_routes(TeamsRoutes(teams, pages, platforms))))
        if web is None:
            table.append(Route("/", lambda request: RedirectResponse(f"{TeamsRoutes.base}/?{request.url.query}")))
    table.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    # Only this machine's names: a web page elsewhere cannot reach the sandbox through a rebound DNS name.
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])]
    return Starlette(routes=table, middleware=middleware)


class Routes(WorldRoutes):
    """Slack's page, one method per route: parse the form, call the sandbox, redirect back to the page."""

    tabs = ("messages", "home")
    web: WebSandbox

    async def page(self, request: Request) -> Response:
        person = self.web.person(request.query_params.get("as"))
        tab = request.query_params.get("tab") if request.query_params.get("tab") in self.tabs else "messages"
        context = await run_in_threadpool(page_context, self, person, tab)
        return self.pages.TemplateResponse(request, "page.html", context)

    async def command(self, request: Request) -> Response:
        person, fields = await self.form(request)
        await run_in_threadpool(self.web.command, person, first(fields, "text"))
        return self.back(person)

    async def home(self, request: Request) -> Response:
        person, _ = await self.form(request)
        await run_in_threadpool(self.web.open_home, person)
        return self.back(person, "home")

    async def click(self, request: Request) -> Response:
        """A click or pick on a message (channel + ts) or on the Home tab (view_id)."""
        person, fields = await self.form(request)
        kind = first(fields, "kind")
        common = {"action_id": first(fields, "action_id"), "label": first(fields, "label"),
                  "value": None if kind == "button" else slack_value(kind, fields.get("value", []))}
        if first(fields, "view_id"):
            await run_in_threadpool(lambda: self.web.click_view(person, view_id=first(fields, "view_id"), **common))
            return self.back(person, "home")
        await run_in_threadpool(lambda: self.web.click_message(person, channel=first(fields, "channel"),
                                                               ts=first(fields, "ts"), **common))
        return self.back(person)

    async def view(self, request: Request) -> Response:
        """The open modal's form: submitted, closed, an input that tells the bot at once, or one of its buttons."""
        person, fields = await self.form(request)
        modal = await run_in_threadpool(self.web.modal, person)
        if modal is None or modal["id"] != first(fields, "view_id"):
            return self.back(person, self.tab(fields))  # submitted or closed already (a second click): nothing to do
        op = first(fields, "op") or first(fields, "op_change") or "submit"
        if op == "close":
            await run_in_threadpool(self.web.close_modal, person, modal["id"])
        elif op.startswith("change:"):
            await run_in_threadpool(self.web.change_input, person, modal, op.removeprefix("change:"), fields)
        elif op.startswith("action:"):
            action_id = op.removeprefix("action:")
            value = slack_value(first(fields, f"kind:{action_id}"), fields.get(f"value:{action_id}", []))
            await run_in_threadpool(lambda: self.web.click_view(person, view_id=modal["id"], action_id=action_id,
                                                                value=value))
        else:
            await run_in_threadpool(self.web.submit_modal, person, modal, fields)
        return self.back(person, self.tab(fields))

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
