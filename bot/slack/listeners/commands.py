"""`/drumbeat <subcommand>`: tokenised here, understood by the core's one grammar, answered by the handler each
listener module registers for its commands (so this module imports no other listener)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.core import broadcasts, commands
from bot.core.away import set_away
from bot.core.errors import DrumbeatError
from bot.core.roles import identify, require_role
from bot.core.words.zones import broadcast_zones_note
from bot.services import Services
from bot.slack import replies
from bot.slack.people import acting_user
from bot.slack.respond import CommandCall, Reply
from bot.slack.tokens import SLACK_SYNTAX, tokenise
from messages.rich import Code, Rich, Strong

log = logging.getLogger(__name__)

Handler = Callable[[CommandCall, Any], Reply | None]
CommandTable = Mapping[type, Handler]
FollowUp = Callable[[commands.Command, dict[str, Any], WebClient, Services], None]


def parse(text: str) -> commands.Command:
    return commands.parse_command(tokenise(text), syntax=SLACK_SYNTAX)


def send(call: CommandCall, command: commands.Send) -> Reply:
    require_role(call.caller, broadcasts.BROADCASTERS, "send broadcasts")
    services = call.services
    queued = broadcasts.send_now(call.session, sender=call.caller, message_key=command.message_key,
                                 audience=command.audience, now=services.clock(), rules=services.rules)
    skipped = f" (note: {'; '.join(queued.skipped)})" if queued.skipped else ""
    people = "person" if queued.recipients == 1 else "people"
    timing = (f" {queued.now_count} now, {queued.later_count} at their next working hours (quiet hours, daily cap"
              " or time away)." if queued.later_count else "")
    zones = broadcast_zones_note(queued.without_zone)
    timing += f" {zones}" if zones else ""
    return replies.notice(Rich(
        "On its way: ", Strong(queued.message_title), f" (v{queued.message_version}) to {queued.recipients} {people}"
        f" in {queued.audience_label}{skipped}.{timing} I'll show reach and acknowledgements in ",
        Code(f"{services.settings.command} summary"), ".",
    ), "message")


def away(call: CommandCall, command: commands.SetAway) -> Reply:
    return replies.notice(set_away(call.session, person=call.caller, text=command.text, now=call.services.clock()),
                          "away")


COMMANDS: dict[type, Handler] = {commands.Send: send, commands.SetAway: away}


def make_handler(table: CommandTable) -> Callable[..., None]:
    def handle_command(ack: Ack, command: dict[str, Any], client: WebClient, services: Services) -> None:
        reply: Reply | None
        try:
            parsed = parse(command.get("text", ""))
            if isinstance(parsed, commands.Help):
                ack(response_type="ephemeral", **replies.usage(services.settings.command, parsed.problem))
                return
            with services.unit_of_work() as session:
                call = CommandCall(session, services, identify(session, acting_user(command)), command, client)
                reply = table[type(parsed)](call, parsed)
        except DrumbeatError as problem:
            reply = replies.problem(problem, services.settings.command)
        if reply:
            ack(response_type="ephemeral", **reply)
        else:
            ack()

    return handle_command


def make_follow_up(follow_ups: list[FollowUp]) -> Callable[..., None]:
    """Work that runs after the acknowledgement (a chart, a CSV file), for the commands that have any."""
    def follow_up(command: dict[str, Any], client: WebClient, services: Services) -> None:
        try:
            parsed = parse(command.get("text", ""))
        except DrumbeatError:
            return  # the acknowledgement already said what was wrong
        for step in follow_ups:
            step(parsed, command, client, services)

    return follow_up


def register(app: App, services: Services, table: CommandTable, follow_ups: list[FollowUp]) -> None:
    app.command(services.settings.command)(ack=make_handler({**COMMANDS, **table}), lazy=[make_follow_up(follow_ups)])
