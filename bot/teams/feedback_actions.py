"""The buttons on Teams' feedback lists (bot.teams.feedback_lists): Withdraw on `feedback mine`, Reply on
`feedback list`, with Slack's rules (bot/slack/listeners/feedback.py).

- Withdraw (Action.Execute, `action == "feedback_withdraw"`): the core withdraws the presser's own named item
  only; the answer replaces the card with the list as it is now and what the press did or why it was refused.
- Reply (`task/fetch`, `dialog_id == "feedback_reply"`): the reply dialog, opened only for a manager of the
  item's team or a leader (`reply_form`). Its submission (`action == "feedback_reply_send"`) is checked with
  reads and answered at once (closed; the same form with the problem under the reply; or a refusal, such as an
  anonymous author who did not allow replies), then recorded after the answer, once per opened form, checked
  again, and sent straight to the author through the Sender of their platform: no outbox row, which would
  join an anonymous author to the item. The replier is told it was delivered, in their chat.

Nothing is logged of which item or whom a reply reached: the item's id travels only in the card's data (the
SDK's line that prints whole activities is cut, bot.teams.logs), the recipient's conversation is kept out of
the HTTP client's lines, and a failed delivery is logged without its reason (which would say whose chat it was).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from sqlmodel import Session

from bot.core import feedback
from bot.core.errors import DrumbeatError
from bot.core.once import claim_request
from bot.core.roles import identify
from bot.services import Services
from bot.teams import dialogs
from bot.teams.answers import id_of
from bot.teams.cards import notice_card
from bot.teams.feedback_lists import own_card
from bot.teams.listeners import _data, _off_loop, caller_of, raw
from bot.teams.render import ADAPTIVE_CARD_TYPE
from messages.rich import Rich
from schedules.sending import DeliveryFailure, Outgoing
from storage.address import Address
from storage.models import Person

if TYPE_CHECKING:
    from bot.teams.dialog_routes import DialogRoutes

log = logging.getLogger(__name__)

WITHDRAW: Final = "feedback_withdraw"
DIALOG: Final = "feedback_reply"
SEND: Final = "feedback_reply_send"
TITLE: Final = "Reply to feedback"
NOT_DELIVERED: Final = ("Your reply was recorded, but it could not be delivered just now. Open the list again and "
                        "reply once more in a while.")


def withdraw(services: Services, activity: dict[str, Any]) -> dict[str, Any]:
    """Withdraw one's own named item (an id that is not one, or someone else's, is refused: nothing changes)."""
    data = _data(activity)
    try:
        with services.unit_of_work() as session:
            person = identify(session, caller_of(activity))
            try:
                notice = feedback.withdraw(session, person=person, feedback_id=id_of(data.get("feedback")))
                icon = "ok"
            except DrumbeatError as problem:
                notice, icon = problem.text, "refused"
            session.flush()
            card = own_card(feedback.mine(session, person=person), notice, icon)
    except DrumbeatError as problem:  # not in the directory
        card = notice_card(problem.text, "warning")
    return {"statusCode": 200, "type": ADAPTIVE_CARD_TYPE, "value": card}


def _feedback_id(data: dict[str, Any]) -> int:
    return id_of(data.get("feedback"))  # 0 when it is not an id: the core finds no such feedback


def _form(feedback_id: int, anonymous: bool, name: str, *, values: dict[str, str] | None = None,
          errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return dialogs.form_dialog(TITLE, "feedback_reply_dialog", {
        "feedback_id": feedback_id, "anonymous": anonymous, "form": name, "values": values or {},
        "errors": errors or {}})


def open_form(services: Services, caller: Address, activity: dict[str, Any]) -> dialogs.TaskAnswer:
    """The reply form, for a caller who may reply to that item; anyone else is refused (nothing opens)."""
    feedback_id = _feedback_id(dialogs.data_of(activity))
    try:
        with services.unit_of_work() as session:
            anonymous = feedback.reply_form(session, caller=identify(session, caller), feedback_id=feedback_id)
    except DrumbeatError as problem:
        return dialogs.refusal(TITLE, problem)
    return _form(feedback_id, anonymous, dialogs.new_form())


def check(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[dialogs.TaskAnswer, bool]:
    """(the answer: closed, the form again with its problem, or a refusal; whether to record and send it)."""
    def reachable(session: Session, person: Person, data: dict[str, Any]) -> None:
        feedback.check_reply(session, caller=person, feedback_id=_feedback_id(data), text=dialogs.text_in(data, "text"),
                             key=services.feedback_key)

    def again(session: Session, person: Person, data: dict[str, Any], problem: DrumbeatError) -> dict[str, Any]:
        anonymous = feedback.reply_form(session, caller=person, feedback_id=_feedback_id(data))
        return _form(_feedback_id(data), anonymous, dialogs.form_in(data),
                     values=dialogs.typed_values(data, ("text",)), errors=dialogs.field_errors(problem, {}, "text"))

    return dialogs.checked(services, caller, activity, TITLE, reachable, again)


def deliver(services: Services, caller: Address, activity: dict[str, Any]) -> tuple[Rich | str, str] | None:
    """After the answer: recorded once per opened form (checked again: the item may be withdrawn since), then
    sent to its author. What to tell the replier and its icon; None when an earlier delivery of this form did."""
    data = dialogs.data_of(activity)
    try:
        form = dialogs.form_in(data)
        with services.unit_of_work() as session:
            if not claim_request(session, dialogs.form_request(caller, form), services.clock()):
                return None
            reply_to = feedback.reply(session, caller=identify(session, caller), feedback_id=_feedback_id(data),
                                      text=dialogs.text_in(data, "text"), key=services.feedback_key,
                                      now=services.clock())
    except DrumbeatError as problem:
        return Rich("Your reply was not sent: ", problem.text), "warning"
    words = Rich(f"{reply_to.replier} replied to your feedback:\n\n{reply_to.text}")  # a paragraph in Teams
    try:
        services.send(Outgoing(recipient=reply_to.recipient, kind="notice", context={"text": words, "icon": "feedback"},
                               fallback_text=str(words), idempotency_key=f"feedback-reply-{form}"))
    except DeliveryFailure:
        log.warning("a feedback reply could not be delivered (why is not logged: it would say whose chat it was)")
        return NOT_DELIVERED, "warning"
    return "Your reply was delivered.", "sent"


def register(app: Any, routes: DialogRoutes) -> None:
    """The SDK routes: Withdraw, and the reply dialog's opening and submission (answered from reads; recorded
    and sent after, on the runtime's background pool)."""
    def route(handler: Any) -> Any:
        async def run(ctx: Any) -> Any:
            return await _off_loop(handler, raw(ctx))
        return run

    def send_reply(activity: dict[str, Any]) -> None:
        told = deliver(routes.services, routes.caller(activity), activity)
        if told is not None:
            routes.tell(activity, *told)

    app.on_card_action_execute(WITHDRAW)(route(partial(withdraw, routes.services)))
    app.on_dialog_open(DIALOG)(route(partial(routes.opened, open_form)))
    app.on_dialog_submit(SEND)(route(partial(routes.submitted, check, send_reply)))
