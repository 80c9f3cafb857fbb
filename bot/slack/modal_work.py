"""Modal submissions, acknowledged first: field errors in the acknowledgement, the write after it, once per view.

Each modal's submission is checked with reads only (the core's `check_*`), which is all the acknowledgement
needs: Slack shows the field errors next to their inputs, or closes the modal. The write runs after the
acknowledgement (bot.slack.after_ack.hand_over), in its own short transaction, and checks again, since the state
may have changed in between (the nudge coached by someone else, the broadcast cancelled). What it refuses then
is told to the person in a DM: the modal is gone, and nothing they asked for is silently dropped.

Exactly once: the write claims the view id as its request receipt (bot.core.once) in the same transaction, so a
view Slack delivers twice, or a leader resubmits, writes once; a write that fails leaves no receipt, and the next
delivery acts.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.core.errors import DrumbeatError
from bot.core.once import RequestKey, claim_request
from bot.services import Services
from bot.slack import replies
from bot.slack.identity import PLATFORM
from messages.rich import Rich


def view_request(view: dict[str, Any]) -> RequestKey:
    """What names a modal submission across Slack's repeats: its view id."""
    return RequestKey(PLATFORM, f"view:{view['id']}")


def first_submission(session: Session, view: dict[str, Any], services: Services) -> bool:
    """Claim this view's receipt in the write's transaction; False when an earlier delivery already wrote."""
    return claim_request(session, view_request(view), services.clock())


def tell_refused(client: WebClient, body: dict[str, Any], what: str, problem: DrumbeatError) -> None:
    """A problem found only when writing, after the modal closed: said privately, in a DM to the submitter."""
    client.chat_postMessage(channel=body["user"]["id"],
                            **replies.notice(Rich(f"{what} was not saved: ", problem.text), "warning"))
