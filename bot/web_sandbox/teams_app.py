"""Teams' page, under `/teams/`: the person's chat with the bot, each card rendered in the browser by
Microsoft's own Adaptive Cards renderer (static/adaptivecards/, vendored from npm; static/teams.js), the dialog
open for them, and the typed-commands box; the clock and the tour are `world_routes`' as for Slack.

The renderer reports a pressed button as the action's type, id, title and verb and the card's input values;
teams.js posts them here as a form, and the sandbox hands them to the Teams emulator's actor, which sends the
signed activity Teams would. The posted values are claims like any: the emulator only presses an action that is
on the card as it is now, and the bot checks the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.demo import DemoPerson
from bot.web_sandbox.teams_session import Press, TeamsWebSandbox
from bot.web_sandbox.world_routes import WorldRoutes, first

#: Most inputs and characters a posted press is read with: far above any card's, so no post is unbounded.
MAX_INPUTS = 100
MAX_INPUTS_CHARS = 200_000


def press_of(fields: Mapping[str, list[str]]) -> Press:
    """The press a posted form describes; inputs that are not a JSON object of texts are dropped."""
    raw = first(fields, "inputs")
    try:
        parsed = json.loads(raw) if raw and len(raw) <= MAX_INPUTS_CHARS else {}
    except ValueError:
        parsed = {}
    inputs = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()} if isinstance(
        parsed, dict) and len(parsed) <= MAX_INPUTS else {}
    return Press(kind=first(fields, "kind"), title=first(fields, "title") or None, verb=first(fields, "verb") or None,
                 action_id=first(fields, "action_id") or None, inputs=inputs)


def page_context(routes: TeamsRoutes, person: DemoPerson) -> dict[str, Any]:
    web = routes.web
    return {**routes.around(person), "chat": web.chat(person), "dialog": web.dialog(person)}


class TeamsRoutes(WorldRoutes):
    base = "/teams"
    web: TeamsWebSandbox

    async def page(self, request: Request) -> Response:
        person = self.web.person(request.query_params.get("as"))
        context = await run_in_threadpool(page_context, self, person)
        return self.pages.TemplateResponse(request, "teams.html", context)

    async def command(self, request: Request) -> Response:
        person, fields = await self.form(request)
        await run_in_threadpool(self.web.command, person, first(fields, "text"))
        return self.back(person)

    async def act(self, request: Request) -> Response:
        """A button pressed on a card in the chat (the message's id, and the press)."""
        person, fields = await self.form(request)
        await run_in_threadpool(self.web.press, person, first(fields, "message_id"), press_of(fields))
        return self.back(person)

    async def dialog(self, request: Request) -> Response:
        """A button in the open dialog, or its close (`op=close`)."""
        person, fields = await self.form(request)
        if first(fields, "op") == "close":
            await run_in_threadpool(self.web.close_dialog, person)
        else:
            await run_in_threadpool(self.web.submit_dialog, person, press_of(fields))
        return self.back(person)


def teams_routes(routes: TeamsRoutes) -> list[BaseRoute]:
    return [Route("/", routes.page), Route("/command", routes.command, methods=["POST"]),
            Route("/act", routes.act, methods=["POST"]), Route("/dialog", routes.dialog, methods=["POST"]),
            Route("/clock", routes.clock, methods=["POST"]), Route("/tour", routes.tour, methods=["POST"]),
            Route("/changes", routes.changes)]
