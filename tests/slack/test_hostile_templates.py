"""Issue 14, items 1-3 end to end: a hostile body never holds the outbox, is refused where it is written, and
what a manager types after `feedback request` reaches reps as typed."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from bot.core.broadcasts import AudienceSpec, send_now
from bot.core.roles import identify
from bot.slack.people import slack_address
from messages.budget import BUDGET_WORDS
from storage.models import Broadcast, Delivery, DeliveryStatus, Message

from .conftest import Workspace  # noqa: TID252

LENA = "U0LEADER1"
HOLDS_A_WORKER = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}stop?"


def queue(workspace: Workspace, key: str, body: str) -> int:
    """A library message sent now to team East; returns its broadcast id."""
    with workspace.drumbeat.services.unit_of_work() as session:
        session.add(Message(key=key, title=key.title(), body=body))
        session.flush()
        queued = send_now(session, sender=identify(session, slack_address(LENA)), message_key=key,
                          audience=AudienceSpec(teams=("East",)), now=workspace.clock(),
                          rules=workspace.drumbeat.services.rules)
        return queued.broadcast_id


def deliveries_of(workspace: Workspace, broadcast_id: int) -> list[Delivery]:
    with workspace.drumbeat.services.unit_of_work() as session:
        return list(session.execute(select(Delivery).where(Delivery.broadcast_id == broadcast_id)).scalars())


def test_a_hostile_body_fails_its_deliveries_for_template_budget_and_the_next_delivery_is_sent(
    workspace: Workspace,
) -> None:
    hostile = queue(workspace, "hostile", "Harmless when it was written")
    with workspace.drumbeat.services.unit_of_work() as session:  # e.g. a row an older version let through
        session.execute(update(Message).where(Message.key == "hostile").values(body=HOLDS_A_WORKER))
    plain = queue(workspace, "plain", "Hi {{ person.first_name }}, on strategy today.")

    report = workspace.dispatch()

    failed = deliveries_of(workspace, hostile)
    assert {d.status for d in failed} == {DeliveryStatus.FAILED}
    assert all(BUDGET_WORDS in (d.last_error or "") for d in failed)
    assert {d.status for d in deliveries_of(workspace, plain)} == {DeliveryStatus.SENT}
    assert report.failed == 3 and report.sent == 3
    assert "Hi Aiko, on strategy today." in json.dumps(workspace.inbox("aiko"))
    assert workspace.command("aiko", "help").status == 200  # and the next request is answered


def test_send_refuses_a_library_message_whose_body_is_over_budget(workspace: Workspace) -> None:
    with workspace.drumbeat.services.unit_of_work() as session:
        session.add(Message(key="hostile", title="Hostile", body="{{ range(10**9) | list }}"))

    response = workspace.command("lena", "send hostile to East")

    assert response.status == 200
    assert "Template error" in json.dumps(response.answer) and "template budget" in json.dumps(response.answer)
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(Broadcast)).first() is None


def test_the_broadcast_modal_shows_a_body_that_fails_only_when_rendered_next_to_its_field(
    workspace: Workspace,
) -> None:
    for body, says in [("{{ ''.__class__ }}", "not allowed"), ("{% for i in range(10**9) %}{% endfor %}", "budget"),
                       ("{{ lipsum(20000) }}", "budget")]:
        workspace.command("lena", "broadcast")
        view = workspace.slack.open_views(LENA)[-1]
        response = workspace.slack.submit_view(LENA, view["id"], {
            "title_input": "Sneaky", "body_input": body, "people_input": ["U0REPEA02"]})
        assert response.body["response_action"] == "errors", response.body
        assert says in response.body["errors"]["body"]
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.execute(select(Message).where(Message.key == "sneaky")).first() is None


def test_text_after_feedback_request_and_yousaid_reaches_reps_as_typed(workspace: Workspace) -> None:
    asked = workspace.command("marco", "feedback request East | What should we stop? {{ 7*7 }} {% if x %}")
    noted = workspace.command("marco", "feedback yousaid East | We stopped {{ person.name }} reports")
    assert asked.status == 200 and noted.status == 200

    workspace.dispatch()

    seen = json.dumps(workspace.inbox("aiko"))
    assert "What should we stop? {{ 7*7 }} {% if x %}" in seen and "stop? 49" not in seen  # rendered, it would read "stop? 49"
    assert "We stopped {{ person.name }} reports" in seen


def test_previewing_a_hostile_library_message_shows_its_budget_error_and_leaves_requests_answered(
    workspace: Workspace,
) -> None:
    with workspace.drumbeat.services.unit_of_work() as session:
        session.add(Message(key="hostile", title="Hostile", body=HOLDS_A_WORKER))
    workspace.command("lena", "broadcast")
    view = workspace.slack.open_views(LENA)[-1]

    for _ in range(8):  # issue 14: 8 previews of such a body used to take every HTTP thread
        workspace.slack.click_in_view(LENA, view_id=view["id"], action_id="message_pick", value="hostile")
    workspace.slack.wait_for(lambda: len(workspace.slack.calls_named("views.update")) >= 8)

    assert BUDGET_WORDS in json.dumps(workspace.slack.open_views(LENA))
    assert workspace.command("aiko", "help").status == 200
