"""`/drumbeat <subcommand>`: tokenised here, understood by the core's one grammar, answered by the handler each
listener module registers for its commands (so this module imports no other listener)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
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
from bot.slack.after_ack import hand_over
from bot.slack.identity import PLATFORM
from bot.slack.people import acting_user
from bot.slack.respond import CommandCall, Reply
from bot.slack.tokens import SLACK_SYNTAX, tokenise
from bot.slack.work_process import remember
from messages.rich import Code, Rich, Strong

log = logging.getLogger(__name__)

Handler = Callable[[CommandCall, Any], Reply | None]
CommandTable = Mapping[type, Handler]
FollowUp = Callable[[commands.Command, dict[str, Any], WebClient, Services, dict[str, Any]], None]


def parse(text: str) -> commands.Command:
    return commands.parse_command(tokenise(text), syntax=SLACK_SYNTAX)


def send(call: CommandCall, command: commands.Send) -> Reply:
    """Written once per slash command (its trigger id), however often it arrives; the answer says who gets
    it now and who after quiet hours. Runs after the acknowledgement, like every command."""
    body = call.body
    request = RequestKey(PLATFORM, f"trigger:{body.get('trigger_id') or body.get('response_url')}")
    queued = broadcasts.send_now(call.session, sender=call.caller, message_key=command.message_key,
                                 audience=command.audience, now=call.services.clock(), rules=call.services.rules,
                                 request=request)
    return queued_reply(queued, call.services.settings.command)


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


def away(call: CommandCall, command: commands.SetAway) -> Reply:
    return replies.notice(set_away(call.session, person=call.caller, text=command.text, now=call.services.clock()),
                          "away")


def home(call: CommandCall, command: commands.ShowHome) -> Reply:
    """In Slack the dashboard has its own place: the app's Home tab, refreshed whenever it is opened."""
    return replies.notice(Rich("Your dashboard is on my ", Strong("Home"), " tab: open Drumbeat under Apps in the "
                               "sidebar and pick Home. It is up to date each time you open it."), "info")


COMMANDS: dict[type, Handler] = {commands.Send: send, commands.SetAway: away, commands.ShowHome: home}


def make_acknowledgement(table: CommandTable, follow_ups: list[FollowUp]) -> Callable[..., None]:
    """The acknowledgement: usage and grammar problems at once (no database); anything else is handed to the
    background pool and answered through response_url."""
    answer_command = remember(make_answer(table, follow_ups))

    def acknowledge_command(ack: Ack, command: dict[str, Any], context: BoltContext, request: BoltRequest,
                            services: Services) -> None:
        try:
            parsed = parse(command.get("text", ""))
        except DrumbeatError as problem:
            ack(response_type="ephemeral", **replies.problem(problem, services.settings.command))
            return
        if isinstance(parsed, commands.Help):
            ack(response_type="ephemeral", **replies.usage(services.settings.command, parsed.problem))
            return
        ack()
        hand_over(context, request, answer_command)

    return acknowledge_command


def make_answer(table: CommandTable, follow_ups: list[FollowUp]) -> Callable[..., None]:
    """After the acknowledgement: the command's unit of work, its answer through response_url, then any
    follow-up (a chart, a CSV file) in that order."""
    def answer_command(command: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
        parsed = parse(command.get("text", ""))  # parsed once already: it cannot fail now
        reply: Reply | None
        steps = follow_ups
        kept: dict[str, Any] = {}
        try:
            with services.unit_of_work() as session:
                call = CommandCall(session, services, identify(session, acting_user(command)), command, client)
                kept = call.kept
                reply = table[type(parsed)](call, parsed)
        except DrumbeatError as problem:
            reply = replies.problem(problem, services.settings.command)
            steps = []
        if reply:
            respond(response_type="ephemeral", replace_original=False, **reply)
        for step in steps:
            step(parsed, command, client, services, kept)

    return answer_command


def register(app: App, services: Services, table: CommandTable, follow_ups: list[FollowUp]) -> None:
    app.command(services.settings.command)(make_acknowledgement({**COMMANDS, **table}, follow_ups))
