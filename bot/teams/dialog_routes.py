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
from functools import partial
from typing import Any

from sqlmodel import Session

from bot.core import quizzes, showing
from bot.core.errors import PermissionDenied
from bot.core.showing import Shown
from bot.services import Services
from bot.teams import (broadcast_dialog, coaching_dialog, deal_dialog, edit_dialog, feedback_actions,
                       feedback_dialog, quiz_dialog)
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
Opener = Callable[[Services, Address, dict[str, Any]], TaskAnswer]
Check = Callable[[Services, Address, dict[str, Any]], tuple[TaskAnswer, bool]]
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

        for dialog_id, opener in ((feedback_dialog.DIALOG, feedback_dialog.open_form),
                                  (broadcast_dialog.DIALOG, broadcast_dialog.open_form),
                                  (quiz_dialog.DIALOG, quiz_dialog.open_form),
                                  (coaching_dialog.DIALOG, coaching_dialog.open_form),
                                  (edit_dialog.DIALOG, edit_dialog.open_form),
                                  (deal_dialog.DIALOG, deal_dialog.open_form)):
            app.on_dialog_open(dialog_id)(route(partial(self.opened, opener)))
        app.on_dialog_submit(broadcast_dialog.PREVIEW)(route(partial(self.opened, broadcast_dialog.preview)))
        app.on_dialog_submit(broadcast_dialog.COUNT)(route(self.count_audience))
        for action, check, work in ((feedback_dialog.SEND, feedback_dialog.check, self.store_feedback),
                                    (broadcast_dialog.SEND, broadcast_dialog.check, self.queue_broadcast),
                                    (quiz_dialog.SAVE, quiz_dialog.check, self.write_question),
                                    (coaching_dialog.SAVE, coaching_dialog.check, self.write_coached),
                                    (edit_dialog.SAVE, edit_dialog.check, self.write_edit),
                                    (deal_dialog.SAVE, deal_dialog.check, self.write_deal)):
            app.on_dialog_submit(action)(route(partial(self.submitted, check, work)))
        app.on_card_action_execute(SURE)(route(self.rate))
        app.on_card_action_execute(coaching_dialog.SNOOZE)(route(partial(self.coaching_press, coaching_dialog.SNOOZE)))
        app.on_card_action_execute(coaching_dialog.REFRESHER)(route(partial(self.coaching_press,
                                                                            coaching_dialog.REFRESHER)))
        feedback_actions.register(app, self)  # Withdraw, and Reply's dialog

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

    def opened(self, opener: Opener, activity: dict[str, Any]) -> TaskAnswer:
        """A dialog opened (or answered again without writing anything, like Preview)."""
        return opener(self.services, self.caller(activity), activity)

    def submitted(self, check: Check, work: Callable[[dict[str, Any]], None], activity: dict[str, Any]) -> TaskAnswer:
        """A dialog submitted: answered from reads at once; what it writes runs after, on the background pool."""
        answer, new = check(self.services, self.caller(activity), activity)
        if new:
            self.listeners.executor.submit(work, activity)
        return answer

    def count_audience(self, activity: dict[str, Any]) -> TaskAnswer:
        """Count who it reaches: answered from the cache; its stale groups re-read after, on the background pool."""
        answer, stale = broadcast_dialog.count(self.services, self.caller(activity), activity)
        if stale:
            self.listeners.executor.submit(broadcast_dialog.refresh_groups, self.services, stale)
        return answer

    # -- what submissions write, after their answer ----------------------------------------------------
    def store_feedback(self, activity: dict[str, Any]) -> None:
        card = feedback_dialog.store(self.services, self.caller(activity), activity)
        if card is not None:
            self.post(activity, card)

    def queue_broadcast(self, activity: dict[str, Any]) -> None:
        self.tell(activity, *broadcast_dialog.queue(self.services, self.caller(activity), activity))

    def write_question(self, activity: dict[str, Any]) -> None:
        text, icon = quiz_dialog.write(self.services, self.caller(activity), activity, COMMAND)
        if text is not None:
            self.tell(activity, text, icon)

    def write_edit(self, activity: dict[str, Any]) -> None:
        text, icon = edit_dialog.write(self.services, self.caller(activity), activity)
        if text is not None:
            self.tell(activity, text, icon)

    def write_coached(self, activity: dict[str, Any]) -> None:
        text, icon, shown = coaching_dialog.write(self.services, self.caller(activity), activity)
        if shown is not None and shown.sent is not None:
            try:
                self.listeners.sender.update(shown.sent, shown.outgoing)
            except DeliveryFailure as failure:  # recorded all the same: only the card could not be shown anew
                log.warning("Teams coaching card not refreshed: %s", failure)
        if text:
            self.tell(activity, text, icon)

    def write_deal(self, activity: dict[str, Any]) -> None:
        text, icon = deal_dialog.write(self.services, self.caller(activity), activity)
        if text:
            self.tell(activity, text, icon)

    # -- card buttons ------------------------------------------------------------------------------------
    def coaching_press(self, use: str, activity: dict[str, Any]) -> dict[str, Any]:
        """Snooze a week / Send the rep a refresher: the card shown anew in place, the core's word said after."""
        notes: list[str | Rich] = []
        answer = self.listeners._pressed(activity, coaching_dialog.press(self.services, use, _data(activity),
                                                                         notes))
        for note in notes:
            self.listeners.executor.submit(self.tell, activity, note,
                                           "info" if use == coaching_dialog.SNOOZE else "repeat")
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

