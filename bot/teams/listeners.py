"""What the Teams adapter does with each activity the SDK has authenticated (its JWT checked in the SDK).

- installationUpdate / conversationUpdate: the person's conversation reference is stored (or marked unusable
  on removal), and the time zone Teams reports for them recorded.
- message (text typed in the personal chat): tokenised into the core's command grammar and answered in the
  chat. Acknowledged first (HTTP 200 at once), answered after, on the runtime's background pool.
- invoke adaptiveCard/action `got_it` / `answer` (Action.Execute): the delivery is acknowledged (the question
  scored) by the core and the card answered at once (Teams waits about 5 s) from the database's state,
  replacing the card in place.

Handlers read the activity as the plain JSON Teams sent (`raw`), so nothing here depends on the SDK's models.
Every database call runs off the SDK's loop (a thread), so one slow query never holds up other activities.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.core import broadcasts, org, quizzes, showing
from bot.core.errors import DrumbeatError, PermissionDenied
from bot.core.roles import identify
from bot.core.showing import Shown
from bot.services import Services
from bot.teams import answers, schedules_card
from bot.teams.audience_groups import (TeamsGroupReader, bot_joined_team, cache_channels, channel_named,
                                      membership_changed)
from bot.teams.conversations import forget, reference_of, remember, team_reference_of
from bot.teams.identity import PLATFORM
from bot.teams.mentions import mentions_in
from bot.teams.render import ADAPTIVE_CARD_TYPE
from bot.teams.sender import TeamsSender
from bot.teams.teams_link import GraphFactory
from schedules.sending import DeliveryFailure
from storage.address import Address
from storage.models import Person

log = logging.getLogger(__name__)

ACKNOWLEDGE = "got_it"
ANSWER = "answer"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"


def raw(ctx: Any) -> dict[str, Any]:
    """The activity as Teams' JSON (camelCase keys, `from`), whatever the SDK's models call its fields."""
    return ctx.activity.model_dump(by_alias=True, exclude_none=True, mode="json")


def _bot_among(activity: dict[str, Any], field: str) -> bool:
    bot_id = (activity.get("recipient") or {}).get("id")
    return any(isinstance(member, dict) and member.get("id") == bot_id for member in activity.get(field) or [])


def caller_of(activity: dict[str, Any]) -> Address:
    return Address(PLATFORM, str((activity.get("from") or {}).get("aadObjectId") or "").lower())


class Listeners:
    def __init__(self, services: Services, sender: TeamsSender, executor: Executor) -> None:
        self.services = services
        self.sender = sender
        self.executor = executor
        self.graph: GraphFactory | None = None  # set by the platform when it has a tenant to read (team link)

    def register(self, app: Any) -> None:
        @app.on_installation_update
        async def installation(ctx: Any) -> None:
            await _off_loop(self.installation_changed, raw(ctx))

        @app.on_conversation_update
        async def conversation(ctx: Any) -> None:
            activity = raw(ctx)
            if (activity.get("channelData") or {}).get("team"):
                await _off_loop(self.team_changed, activity)
            elif _bot_among(activity, "membersAdded"):
                await _off_loop(self.remember_reference, activity)

        @app.on_message
        async def message(ctx: Any) -> None:
            activity = raw(ctx)
            if (activity.get("conversation") or {}).get("conversationType") not in (None, "personal"):
                return  # a mention in a channel (the app is in teams for audiences): answers are personal
            self.executor.submit(self.answer_message, activity)  # acknowledged now, answered after

        @app.on_card_action_execute(ACKNOWLEDGE)
        async def got_it(ctx: Any) -> dict[str, Any]:
            return await _off_loop(self.acknowledge, raw(ctx))

        @app.on_card_action_execute(ANSWER)
        async def answer(ctx: Any) -> dict[str, Any]:
            return await _off_loop(self.answer_quiz, raw(ctx))

        from bot.teams.dialog_routes import DialogRoutes  # it builds on this module's helpers

        DialogRoutes(self).register(app)
        for verb in (schedules_card.REFRESH, *schedules_card.STEERS):  # a leader's list of broadcasts
            app.on_card_action_execute(verb)(self._list_button(verb))

    # -- installation -----------------------------------------------------------------------------
    def installation_changed(self, activity: dict[str, Any]) -> None:
        if str(activity.get("action", "")).startswith("remove"):
            with self.services.unit_of_work() as session:
                if forget(session, caller_of(activity).user_id):
                    log.info("Teams app removed for %s: their conversation is no longer used", caller_of(activity))
            return
        self.remember_reference(activity)

    def remember_reference(self, activity: dict[str, Any]) -> None:
        reference = reference_of(activity)
        if reference is None:
            return
        for attempt in (1, 2):  # installationUpdate and conversationUpdate may arrive at once: one inserts
            try:
                with self.services.unit_of_work() as session:
                    remember(session, reference)
                    org.record_zone(session, caller_of(activity), activity.get("localTimezone"))
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    def team_changed(self, activity: dict[str, Any]) -> None:
        """In a team: the bot added (the team's reference kept for channel posts, the team offered as an audience)
        or removed, or people joined or left (the audience cache updated: bot.teams.audience_groups)."""
        reference = team_reference_of(activity)
        with self.services.unit_of_work() as session:
            if reference is not None and _bot_among(activity, "membersRemoved"):
                forget(session, reference.user_id)
            elif reference is not None and _bot_among(activity, "membersAdded"):
                remember(session, reference)
                if (team := bot_joined_team(session, activity)) is not None:
                    self.executor.submit(self.list_channels, team.group_id)
            channel_named(session, activity)
            if membership_changed(session, activity):
                log.info("Teams team %s: membership change applied to the audience cache",
                         reference.user_id if reference else "?")

    def list_channels(self, team_id: str) -> None:
        """After the bot joined a team: its channels from Graph, cached by name for the broadcast form."""
        reader = self.services.groups.readers.get(PLATFORM)
        if isinstance(reader, TeamsGroupReader):
            with self.services.unit_of_work() as session:
                log.info("Teams team %s: %s channels offered as audiences", team_id,
                         cache_channels(session, reader, team_id))

    # -- typed commands ---------------------------------------------------------------------------
    def answer_message(self, activity: dict[str, Any]) -> None:
        """After the acknowledgement: the command's answer, as cards in the chat it was typed in."""
        try:
            with self.services.unit_of_work() as session:  # every message says where the person is now
                org.record_zone(session, caller_of(activity), activity.get("localTimezone"))
            cards = answers.answer_text(self.services, caller_of(activity), str(activity.get("text") or ""),
                                        mentions=mentions_in(activity),
                                        bot_ids=[str((activity.get("recipient") or {}).get("id") or "")],
                                        activity_id=str(activity.get("id") or ""), graph=self.graph)
            for card in cards:  # in order: the figures first, then what follows them (a chart, a download)
                self.sender.post(activity["conversation"]["id"], card, service_url=activity.get("serviceUrl"))
        except Exception:  # noqa: BLE001 - after the acknowledgement nobody else would log it
            log.exception("Teams message %s could not be answered", activity.get("id"))

    # -- card buttons -----------------------------------------------------------------------------
    def _list_button(self, verb: str) -> Callable[[Any], Any]:
        async def pressed(ctx: Any) -> dict[str, Any]:
            return await _off_loop(lambda activity: schedules_card.press(self.services, caller_of(activity), verb,
                                                                         _data(activity)), raw(ctx))
        return pressed

    def acknowledge(self, activity: dict[str, Any]) -> dict[str, Any]:
        """Got it: the core acknowledges the delivery the button names (refusing someone else's)."""
        delivery_id = answers.id_of(_data(activity).get("delivery"))

        def use_case(session: Session, person: Person) -> Shown:
            if not delivery_id:
                raise PermissionDenied("That button doesn't point at a message I know.")
            broadcasts.acknowledge(session, delivery_id=delivery_id, person=person, now=self.services.clock())
            return showing.delivery_now(session, delivery_id, self.services.clock())

        return self._pressed(activity, use_case)

    def answer_quiz(self, activity: dict[str, Any]) -> dict[str, Any]:
        """A pulse-check option: scored once by the core (a second press changes nothing)."""
        data = _data(activity)
        ask_id, choice = answers.id_of(data.get("ask")), str(data.get("choice", ""))

        def use_case(session: Session, person: Person) -> Shown:
            if not ask_id or not (choice.isascii() and choice.isdigit() and len(choice) <= 2):
                raise PermissionDenied("That button doesn't point at a question I know.")
            outcome = quizzes.answer(session, ask_id=ask_id, person=person, choice=int(choice),
                                     now=self.services.clock())
            return showing.ask_now(session, outcome.ask, self.services.clock())

        return self._pressed(activity, use_case)

    def _pressed(self, activity: dict[str, Any], use_case: Callable[[Session, Person], Shown]) -> dict[str, Any]:
        """Run one use case for the presser, then show the message as it stands now: in place of the pressed
        card when that is the message Drumbeat recorded sending (or there is no record: a practice question,
        pressed in the presser's own chat), else by updating the recorded message and saying so."""
        try:
            with self.services.unit_of_work() as session:
                shown = use_case(session, identify(session, caller_of(activity)))
        except DrumbeatError as problem:
            return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": str(problem.text)}
        pressed = (activity.get("replyToId"), (activity.get("conversation") or {}).get("id"))
        try:
            if shown.sent is None or pressed == (shown.sent.message_id, shown.sent.conversation_id):
                return {"statusCode": 200, "type": ADAPTIVE_CARD_TYPE, "value": self.sender.card(shown.outgoing)}
            self.sender.update(shown.sent, shown.outgoing)
        except DeliveryFailure as failure:  # recorded all the same: only the card could not be shown anew
            log.warning("Teams card for %s not refreshed: %s", shown.outgoing.idempotency_key, failure)
        return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": "Noted: thank you."}


def _data(activity: dict[str, Any]) -> dict[str, Any]:
    data = ((activity.get("value") or {}).get("action") or {}).get("data")
    return data if isinstance(data, dict) else {}


async def _off_loop(function: Callable[[dict[str, Any]], Any], activity: dict[str, Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, activity)
