"""`/drumbeat <subcommand>`: tokenised here, understood by the core's one grammar, answered by the handler each
listener module registers for its commands (so this module imports no other listener)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.core import broadcasts, commands
from bot.core.away import set_away
from bot.core.errors import DrumbeatError
from bot.core.once import RequestKey
from bot.core.roles import identify
from bot.core.words.zones import broadcast_zones_note
from bot.services import Services
from bot.slack import replies
from bot.slack.identity import PLATFORM
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
    """Answered at once, for any audience size: the checks count people in the database; the broadcast is
    written after the acknowledgement (`queue_send`), which then tells the leader who gets it now and later."""
    check = broadcasts.check_send(call.session, sender=call.caller, message_key=command.message_key,
                                  audience=command.audience)
    people = "person" if check.recipients == 1 else "people"
    return replies.notice(Rich(
        "Queued: ", Strong(check.message_title), f" (v{check.message_version}) for {check.recipients} {people}"
        f" in {check.audience_label}. Working out who gets it now and who after quiet hours; the counts follow.",
    ), "message")


def queued_reply(queued: broadcasts.BroadcastQueued, command: str) -> Reply:
    skipped = f" (note: {'; '.join(queued.skipped)})" if queued.skipped else ""
    people = "person" if queued.recipients == 1 else "people"
    timing = (f" {queued.now_count} now, {queued.later_count} at their next working hours (quiet hours, daily cap"
              " or time away)." if queued.later_count else "")
    again = " (You sent this request before: it was queued once, and this is that broadcast.)" if queued.repeated else ""
    zones = broadcast_zones_note(queued.without_zone)
    timing += f" {zones}" if zones else ""
    return replies.notice(Rich(
        "On its way: ", Strong(queued.message_title), f" (v{queued.message_version}) to {queued.recipients} {people}"
        f" in {queued.audience_label}{skipped}.{timing}{again} I'll show reach and acknowledgements in ",
        Code(f"{command} summary"), ".",
    ), "message")


def queue_send(parsed: commands.Command, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: write the broadcast, once per slash command (its trigger id), and say how
    it went through the command's response_url."""
    if not isinstance(parsed, commands.Send):
        return
    request = RequestKey(PLATFORM, f"trigger:{body.get('trigger_id') or body.get('response_url')}")
    try:
        with services.unit_of_work() as session:
            caller = identify(session, acting_user(body))
            try:
                broadcasts.check_send(session, sender=caller, message_key=parsed.message_key, audience=parsed.audience)
            except DrumbeatError:
                return  # the acknowledgement already said what was wrong
            queued = broadcasts.send_now(session, sender=caller, message_key=parsed.message_key,
                                         audience=parsed.audience, now=services.clock(), rules=services.rules,
                                         request=request)
        reply = queued_reply(queued, services.settings.command)
    except DrumbeatError as problem:
        reply = replies.problem(problem, services.settings.command)
    Respond(response_url=body.get("response_url"))(response_type="ephemeral", replace_original=False, **reply)


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
    app.command(services.settings.command)(ack=make_handler({**COMMANDS, **table}),
                                          lazy=[make_follow_up([queue_send, *follow_ups])])
