"""The routes both platforms' pages have: the clock, the tour, and what every page shows around the
conversation (who you are, the time, the log). Each platform's routes (`app.Routes` for Slack,
`teams_app.TeamsRoutes`) add their own, under their own path (`base`: "" for Slack, "/teams").

Every action is a plain HTML form posted to a route, answered with a redirect back to the page (so the page
also works without JavaScript); htmx's hx-boost makes each a swap of the page body. The sandbox is called on a
worker thread, since each call waits for the bot's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.demo import DEMO_PEOPLE, DemoPerson
from bot.web_sandbox import clock as clock_moves
from bot.web_sandbox.session import form_fields
from bot.web_sandbox.tour import STEPS, run_step
from bot.web_sandbox.world import World

#: The platform switch: (platform, label, path) for each world the page runs.
Platforms = list[tuple[str, str, str]]


def first(fields: Mapping[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


class WorldRoutes:
    """The routes and page context every platform's page shares; `base` is the platform's path."""

    base = ""
    tabs: tuple[str, ...] = ()

    def __init__(self, web: World, pages: Jinja2Templates, platforms: Platforms) -> None:
        self.web = web
        self.pages = pages
        self.platforms = platforms

    def back(self, person: DemoPerson, tab: str = "") -> RedirectResponse:
        query = {"as": person.handle, **({"tab": tab} if tab in self.tabs else {})}
        return RedirectResponse(f"{self.base}/?{urlencode(query)}", status_code=303)

    def tab(self, fields: Mapping[str, list[str]]) -> str:
        return first(fields, "tab") if first(fields, "tab") in self.tabs else (self.tabs or ("",))[0]

    async def form(self, request: Request) -> tuple[DemoPerson, dict[str, list[str]]]:
        posted = await request.form()
        fields = form_fields({key: [str(v) for v in posted.getlist(key)] for key in posted.keys()})
        return self.web.person(first(fields, "as")), fields

    def around(self, person: DemoPerson, tab: str = "") -> dict[str, Any]:
        """What every page shows around the conversation (called on a worker thread)."""
        web = self.web
        return {"person": person, "tab": tab, "now": web.clock(), "command": web.command_name,
                "people": [(p, web.local_time(p)) for p in DEMO_PEOPLE], "local": web.local_time(person),
                "notice": web.take_notice(person), "log": web.log_tail(), "zones": clock_moves.zones(),
                "steps": STEPS, "platform": web.platform, "base": self.base, "platforms": self.platforms,
                "fingerprint": web.fingerprint(person)}

    async def changes(self, request: Request) -> Response:
        """The fingerprint of the person's page now: the page polls it, and refreshes when it differs."""
        person = self.web.person(request.query_params.get("as"))
        digest = await run_in_threadpool(self.web.fingerprint, person)
        return PlainTextResponse(digest, headers={"Cache-Control": "no-store"})

    async def clock(self, request: Request) -> Response:
        """+1 hour, +1 day, or the next weekday at a time in a zone (`weekday:0@08:00`)."""
        person, fields = await self.form(request)
        move, zone = first(fields, "move"), first(fields, "zone")
        if move in clock_moves.MOVES:
            target = self.web.clock() + clock_moves.MOVES[move]
        elif move.startswith("weekday:") and zone in clock_moves.zones():
            weekday, _, at = move.removeprefix("weekday:").partition("@")
            target = clock_moves.next_local(self.web.clock(), zone=zone, weekday=int(weekday) % 7,
                                            at=time.fromisoformat(at or "08:00"))
        else:
            return self.back(person, self.tab(fields))
        await run_in_threadpool(clock_moves.advance, self.web, target)
        return self.back(person, self.tab(fields))

    async def tour(self, request: Request) -> Response:
        person, fields = await self.form(request)
        number = first(fields, "step")
        step = await run_in_threadpool(run_step, self.web, int(number)) if number.isdigit() else None
        return self.back(self.web.person(step.shows) if step else person)
