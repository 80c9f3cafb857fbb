"""The SDK routes for Teams dialogs and the card buttons that go with them: feedback, the broadcast form, `quiz
new`, Coached (dialogs: `task/fetch` by `dialog_id`, `task/submit` by `action`), and the rating after a pulse
check, Snooze and Send a refresher (Action.Execute by `action`).

Each dialog is answered at once from reads (Teams waits about 5 s for an invoke); what a submission writes runs
after the answer on the runtime's background pool, and its outcome is told in the person's chat (feedback
excepted: its receipt is the dialog's answer, see bot.teams.feedback_dialog). Registered by
`bot.teams.listeners.Listeners.register`, whose helpers (who pressed, showing a card anew) these reuse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot.core import quizzes, showing
from bot.core.errors import PermissionDenied
from bot.core.showing import Shown
from bot.teams import broadcast_dialog, coaching_dialog, feedback_dialog, quiz_dialog
from bot.teams.answers import COMMAND, id_of
from bot.teams.dialogs import TaskAnswer
from bot.teams.listeners import Listeners, _data, _off_loop, caller_of, raw
from bot.teams.render import render_card
from messages.rich import Rich
from schedules.sending import DeliveryFailure
from storage.address import Address
from storage.models import Person

log = logging.getLogger(__name__)

SURE = "sure"
LEVELS = frozenset("12345")


class DialogRoutes:
    def __init__(self, listeners: Listeners) -> None:
        self.listeners = listeners
        self.services = listeners.services

    def register(self, app: Any) -> None:
        def route(handler: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
            async def run(ctx: Any) -> Any:
                return await _off_loop(handler, raw(ctx))
            return run

        app.on_dialog_open(feedback_dialog.DIALOG)(route(self.open_feedback))
        app.on_dialog_submit(feedback_dialog.SEND)(route(self.send_feedback))
        app.on_dialog_open(broadcast_dialog.DIALOG)(route(self.open_broadcast))
        app.on_dialog_submit(broadcast_dialog.PREVIEW)(route(self.preview_broadcast))
        app.on_dialog_submit(broadcast_dialog.SEND)(route(self.send_broadcast))
        app.on_dialog_open(quiz_dialog.DIALOG)(route(self.open_question))
        app.on_dialog_submit(quiz_dialog.SAVE)(route(self.save_question))
        app.on_dialog_open(coaching_dialog.DIALOG)(route(self.open_coached))
        app.on_dialog_submit(coaching_dialog.SAVE)(route(self.save_coached))
        app.on_card_action_execute(SURE)(route(self.rate))
        app.on_card_action_execute(coaching_dialog.SNOOZE)(route(self.snooze))
        app.on_card_action_execute(coaching_dialog.REFRESHER)(route(self.refresher))

    # -- helpers -----------------------------------------------------------------------------------
    def caller(self, activity: dict[str, Any]) -> Address:
        return caller_of(activity)

    def tell(self, activity: dict[str, Any], text: Rich | str, icon: str) -> None:
        """A notice in the chat the dialog was opened from (after the dialog's answer)."""
        self.post(activity, render_card("notice", {"text": text, "icon": icon}))

    def post(self, activity: dict[str, Any], card: dict[str, Any]) -> None:
        conversation = (activity.get("conversation") or {}).get("id")
        if conversation:
            self.listeners.sender.post(conversation, card, service_url=activity.get("serviceUrl"))

    def after(self, work: Callable[[dict[str, Any]], None], activity: dict[str, Any]) -> None:
        """Run `work` after the dialog's answer, on the background pool."""
        self.listeners.executor.submit(work, activity)

    # -- feedback ----------------------------------------------------------------------------------
    def open_feedback(self, activity: dict[str, Any]) -> TaskAnswer:
        return feedback_dialog.open_form(self.services, self.caller(activity), activity)

    def send_feedback(self, activity: dict[str, Any]) -> TaskAnswer:
        answer, new = feedback_dialog.check(self.services, self.caller(activity), activity)
        if new:
            self.after(self.store_feedback, activity)
        return answer

    def store_feedback(self, activity: dict[str, Any]) -> None:
        card = feedback_dialog.store(self.services, self.caller(activity), activity)
        if card is not None:
            self.post(activity, card)

    # -- the broadcast form ----------------------------------------------------------------------------
    def open_broadcast(self, activity: dict[str, Any]) -> TaskAnswer:
        return broadcast_dialog.open_form(self.services, self.caller(activity), activity)

    def preview_broadcast(self, activity: dict[str, Any]) -> TaskAnswer:
        return broadcast_dialog.preview(self.services, self.caller(activity), activity)

    def send_broadcast(self, activity: dict[str, Any]) -> TaskAnswer:
        answer, new = broadcast_dialog.check(self.services, self.caller(activity), activity)
        if new:
            self.after(self.queue_broadcast, activity)
        return answer

    def queue_broadcast(self, activity: dict[str, Any]) -> None:
        text, icon = broadcast_dialog.queue(self.services, self.caller(activity), activity)
        self.tell(activity, text, icon)

    # -- quiz new --------------------------------------------------------------------------------------
    def open_question(self, activity: dict[str, Any]) -> TaskAnswer:
        return quiz_dialog.open_form(self.services, self.caller(activity), activity)

    def save_question(self, activity: dict[str, Any]) -> TaskAnswer:
        answer, new = quiz_dialog.check(self.services, self.caller(activity), activity)
        if new:
            self.after(self.write_question, activity)
        return answer

    def write_question(self, activity: dict[str, Any]) -> None:
        text, icon = quiz_dialog.write(self.services, self.caller(activity), activity, COMMAND)
        if text is not None:
            self.tell(activity, text, icon)

    # -- coaching ----------------------------------------------------------------------------------------
    def open_coached(self, activity: dict[str, Any]) -> TaskAnswer:
        return coaching_dialog.open_form(self.services, self.caller(activity), activity)

    def save_coached(self, activity: dict[str, Any]) -> TaskAnswer:
        answer, new = coaching_dialog.check(self.services, self.caller(activity), activity)
        if new:
            self.after(self.write_coached, activity)
        return answer

    def write_coached(self, activity: dict[str, Any]) -> None:
        text, icon, shown = coaching_dialog.write(self.services, self.caller(activity), activity)
        if shown is not None and shown.sent is not None:
            try:
                self.listeners.sender.update(shown.sent, shown.outgoing)
            except DeliveryFailure as failure:  # recorded all the same: only the card could not be shown anew
                log.warning("Teams coaching card not refreshed: %s", failure)
        if text:
            self.tell(activity, text, icon)

    def snooze(self, activity: dict[str, Any]) -> dict[str, Any]:
        return self._coaching_press(activity, coaching_dialog.SNOOZE)

    def refresher(self, activity: dict[str, Any]) -> dict[str, Any]:
        return self._coaching_press(activity, coaching_dialog.REFRESHER)

    def _coaching_press(self, activity: dict[str, Any], use: str) -> dict[str, Any]:
        notes: list[str | Rich] = []
        answer = self.listeners._pressed(activity, coaching_dialog.press(self.services, use, _data(activity),
                                                                         notes))
        for note in notes:
            self.after(lambda done, text=note: self.tell(done, text, "info" if use == coaching_dialog.SNOOZE
                                                        else "repeat"), activity)
        return answer

    # -- how sure were you? ------------------------------------------------------------------------------
    def rate(self, activity: dict[str, Any]) -> dict[str, Any]:
        """A rating after a pulse-check answer: recorded once by the core, the card shown anew."""
        data = _data(activity)
        ask_id, level = id_of(data.get("ask")), data.get("level")

        def use_case(session: Session, person: Person) -> Shown:
            if not ask_id or not isinstance(level, str) or level not in LEVELS:
                raise PermissionDenied("That button doesn't point at a question I know.")
            ask = quizzes.rate_confidence(session, ask_id=ask_id, person=person, level=int(level),
                                          now=self.services.clock())
            return showing.ask_now(session, ask, self.services.clock())

        return self.listeners._pressed(activity, use_case)

