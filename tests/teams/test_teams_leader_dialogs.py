"""The leaders' forms in Teams dialogs, end to end through the emulator with signed activities: typed `broadcast`
and `quiz new` answer with a card whose button opens the dialog; the broadcast form previews a library message,
shows its problems under their fields, and schedules one broadcast per opened form, which reaches the reps;
`quiz new` adds one question. A rep is refused when typing the command, opening the dialog and submitting it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.models import Broadcast, Question

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252


def texts(card: dict[str, Any]) -> str:
    """Every TextBlock's text, containers included."""
    inner = [texts({"body": element["items"]}) for element in card["body"] if element.get("type") == "Container"]
    return "\n".join([*card_texts(card), *inner])


def open_dialog(world: World, user_id: str, typed: str, button: str) -> dict[str, Any]:
    before = len(world.emu.inbox(user_id))
    assert world.emu.send_message(user_id, typed).status == 200
    world.emu.wait_for(lambda: len(world.emu.inbox(user_id)) > before)
    opened = world.emu.submit(user_id, world.emu.inbox(user_id)[-1]["id"], title=button)
    assert opened.status == 200 and opened.card_problems == []
    return world.emu.dialog(user_id).card


def count(world: World, model: type) -> int:
    with world.drumbeat.services.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def told(world: World, user_id: str, before: int) -> str:
    assert world.drumbeat.wait_for_background()
    world.emu.wait_for(lambda: len(world.emu.inbox(user_id)) > before)
    return texts(world.emu.inbox(user_id)[-1]["attachments"][0]["content"])


def test_a_leader_previews_and_schedules_a_broadcast_once_and_it_reaches_the_reps(world: World) -> None:
    installed(world, LENA, RIA, JO)
    form = open_dialog(world, LENA, "broadcast", "Open the broadcast form")
    assert "1. What to say" in texts(form)

    east = next(c["value"] for e in form["body"] if e.get("id") == "teams" for c in e["choices"] if c["title"] == "East")
    previewed = world.emu.submit_dialog(LENA, {"message": "win-on-strategy", "teams": east}, title="Preview")

    preview = world.emu.dialog(LENA).card
    assert previewed.status == 200 and previewed.card_problems == []
    assert "If you take one thing from our strategy" in texts(preview)
    teams = next(element for element in preview["body"] if element.get("id") == "teams")
    assert teams["value"] == east  # the leader's choices are kept

    before = len(world.emu.inbox(LENA))
    sent = world.emu.submit_dialog(LENA, {"message": "win-on-strategy", "teams": east, "when": "now"},
                                   title="Schedule")

    assert sent.status == 200 and world.emu.dialog(LENA) is None
    assert told(world, LENA, before) == (
        "📣 Scheduled **Where we win: on-strategy business first** (v1) for 2 people in team East: now.\n"
        "The audience reaches 2 people now; a recurring broadcast reaches whoever is in it on the day.")
    assert world.emu.deliver(sent.activity).status == 200  # the same submission again: still one broadcast
    assert world.drumbeat.wait_for_background()
    assert count(world, Broadcast) == 1
    assert world.drumbeat.dispatch_now().sent == 2
    assert [len(world.emu.inbox(user)) for user in (RIA, JO)] == [1, 1]


def test_broadcast_form_problems_come_back_under_their_fields(world: World) -> None:
    installed(world, LENA, RIA)
    open_dialog(world, LENA, "broadcast", "Open the broadcast form")

    world.emu.submit_dialog(LENA, {"message": "win-on-strategy", "title": "Also new", "people": "nobody@example.com",
                                   "teams": "999999", "when": "once", "date": "2026-13-45", "count": "many"},
                            title="Schedule")

    shown = texts(world.emu.dialog(LENA).card)
    assert "⚠️ Pick a library message or write a new one, not both." in shown
    assert "⚠️ Nobody in Drumbeat's directory has the email nobody@example.com." in shown
    assert "⚠️ '2026-13-45' is not a date: write it as YYYY-MM-DD." in shown
    assert "⚠️ The number of times must be a whole number, not 'many'." in shown
    assert "⚠️ Pick the teams from the list (one of them is not there any more)." in shown

    world.emu.submit_dialog(LENA, {"message": "win-on-strategy", "when": "now"}, title="Schedule")

    assert "⚠️ Say who should get it" in texts(world.emu.dialog(LENA).card)  # the core's audience problem
    world.emu.submit_dialog(LENA, {"message": "win-on-strategy", "people": "ria@example.com", "when": "once",
                                   "date": "2026-11-20", "time": "09:00"}, title="Schedule")
    assert "is in the past: pick today or a later date." in texts(world.emu.dialog(LENA).card)
    assert world.drumbeat.wait_for_background()
    assert count(world, Broadcast) == 0


def test_a_rep_is_refused_the_broadcast_form_when_typing_opening_and_submitting(world: World) -> None:
    installed(world, RIA)

    assert world.emu.send_message(RIA, "broadcast").status == 200
    world.emu.wait_for(lambda: world.emu.inbox(RIA))
    refusal = world.card(RIA)
    assert "actions" not in refusal and "🚫" in texts(refusal)

    opened = world.emu.fetch_dialog(RIA, {"dialog_id": "broadcast"})
    assert opened.status == 200 and "🚫" in texts(world.emu.dialog(RIA).card)
    assert "1. What to say" not in texts(world.emu.dialog(RIA).card)
    preview = world.emu.deliver(world.emu.activity_for(RIA, "invoke", name="task/submit", value={"data": {
        "action": "broadcast_preview", "form": "A" * 22, "message": "win-on-strategy"}}))
    assert "If you take one thing" not in str(preview.body)
    submit = world.emu.deliver(world.emu.activity_for(RIA, "invoke", name="task/submit", value={"data": {
        "action": "broadcast_send", "form": "A" * 22, "message": "win-on-strategy", "all_reps": "true"}}))
    assert "🚫" in texts(submit.body["task"]["value"]["card"]["content"])
    assert world.drumbeat.wait_for_background()
    assert count(world, Broadcast) == 0


def test_a_leader_adds_a_question_in_the_quiz_new_dialog_and_a_rep_is_refused(world: World) -> None:
    installed(world, LENA, RIA)
    questions = count(world, Question)
    form = open_dialog(world, LENA, "quiz new", "Write a question")
    expectation = next(element for element in form["body"] if element.get("id") == "expectation")["choices"][0]["value"]

    world.emu.submit_dialog(LENA, {"expectation": expectation, "prompt": "What comes first?", "option_1": "Margin",
                                   "correct": "0", "explanation": "Because."}, title="Add question")
    assert "⚠️ Give at least 2 options." in texts(world.emu.dialog(LENA).card)

    before = len(world.emu.inbox(LENA))
    saved = world.emu.submit_dialog(LENA, {"expectation": expectation, "prompt": "What comes first?",
                                           "option_1": "Margin", "option_2": "Volume", "correct": "0",
                                           "explanation": "Margin pays for everything else."}, title="Add question")

    assert saved.status == 200 and world.emu.dialog(LENA) is None
    assert "Added the question `q-what-comes-first`" in told(world, LENA, before)
    assert world.emu.deliver(saved.activity).status == 200
    assert world.drumbeat.wait_for_background()
    assert count(world, Question) == questions + 1

    assert world.emu.send_message(RIA, "quiz new").status == 200
    world.emu.wait_for(lambda: world.emu.inbox(RIA))
    assert "🚫" in texts(world.card(RIA))
    world.emu.fetch_dialog(RIA, {"dialog_id": "quiz_new"})
    assert "🚫" in texts(world.emu.dialog(RIA).card)
    submit = world.emu.deliver(world.emu.activity_for(RIA, "invoke", name="task/submit", value={"data": {
        "action": "quiz_new_save", "form": "A" * 22, "expectation": expectation, "prompt": "Rep's question?",
        "option_1": "a", "option_2": "b", "correct": "0", "explanation": "x"}}))
    assert "🚫" in texts(submit.body["task"]["value"]["card"]["content"])
    assert world.drumbeat.wait_for_background()
    assert count(world, Question) == questions + 1
