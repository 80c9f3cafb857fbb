"""Pulse checks in Teams: a question broadcast reaches the rep as a card with one Action.Execute per option; the
answer is scored once by the core and the card replaced in place with right/wrong and the explanation, then
"how sure were you?" (1-5), recorded once and shown in place; `quiz me` answers with a practice question,
answered the same way."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.broadcasts import AudienceSpec, BroadcastDraft
from storage.address import Address
from storage.models import Question, QuizAsk

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252


def _correct(world: World, ask_id: int) -> tuple[int, list[str]]:
    with world.drumbeat.services.unit_of_work() as session:
        question = session.get(Question, session.get(QuizAsk, ask_id).question_id)
        return question.correct, list(question.options)


def test_a_question_is_answered_with_one_press_and_the_card_shows_the_result_in_place(world: World) -> None:
    installed(world, RIA)
    with world.drumbeat.services.unit_of_work() as session:
        key = session.execute(select(Question.key).order_by(Question.id)).scalars().first()
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(people=(Address("teams", RIA),)), question_key=key))
    assert world.drumbeat.dispatch_now().sent == 1

    (message,) = world.emu.inbox(RIA)
    card = world.card(RIA)
    actions = card["actions"]
    ask_id = int(actions[0]["data"]["ask"])
    correct, options = _correct(world, ask_id)
    assert [action["title"] for action in actions] == options
    assert card_texts(card)[0].startswith("📊 Pulse check: ")

    pressed = world.emu.execute(RIA, message["id"], title=options[correct])

    assert pressed.status == 200 and pressed.card_problems == []
    after = world.card(RIA)
    assert card_texts(after)[1] == f"✅ **Right**: {options[correct]}"
    assert card_texts(after)[-1] == "How sure were you? 1 = guessed, 5 = sure."
    assert [action["title"] for action in after["actions"]] == ["1 guessed", "2", "3", "4", "5 sure"]
    with world.drumbeat.services.unit_of_work() as session:
        ask = session.get(QuizAsk, ask_id)
        assert (ask.choice, ask.correct, ask.confidence) == (correct, True, None)

    rated = world.emu.execute(RIA, message["id"], title="4")

    assert rated.status == 200 and rated.card_problems == []
    assert "actions" not in world.card(RIA)
    assert card_texts(world.card(RIA))[-1].startswith("You said you were 4/5 sure. Thanks!")
    assert len(world.emu.inbox(RIA)) == 1  # replaced in place
    with world.drumbeat.services.unit_of_work() as session:
        assert session.get(QuizAsk, ask_id).confidence == 4


def _rate(world: World, user_id: str, ask: object, level: object) -> dict:
    press = world.emu.activity_for(user_id, "invoke", name="adaptiveCard/action", value={
        "action": {"type": "Action.Execute", "verb": "sure", "data": {"action": "sure", "ask": ask, "level": level}}})
    answer = world.emu.deliver(press)
    assert answer.status == 200
    return answer.body


def test_a_tampered_or_someone_elses_rating_is_refused_and_changes_nothing(world: World) -> None:
    installed(world, RIA, JO)
    assert world.emu.send_message(RIA, "quiz me").status == 200
    (message,) = world.emu.wait_for(lambda: world.emu.inbox(RIA))
    ask_id = int(world.card(RIA)["actions"][0]["data"]["ask"])
    assert world.emu.execute(RIA, message["id"], action_id=None, title=world.card(RIA)["actions"][0]["title"]).ok

    for user_id, ask, level in ((JO, str(ask_id), "5"), (RIA, str(ask_id), "9"), (RIA, str(ask_id), "1; DROP"),
                                (RIA, "not-a-number", "3"), (RIA, str(ask_id), 3)):
        body = _rate(world, user_id, ask, level)
        assert body["type"] == "application/vnd.microsoft.activity.message", (user_id, ask, level)

    with world.drumbeat.services.unit_of_work() as session:
        assert session.get(QuizAsk, ask_id).confidence is None
    assert _rate(world, RIA, str(ask_id), "2")["type"] == "application/vnd.microsoft.card.adaptive"
    with world.drumbeat.services.unit_of_work() as session:
        assert session.get(QuizAsk, ask_id).confidence == 2


def test_quiz_me_answers_with_a_practice_question_answered_in_place(world: World) -> None:
    installed(world, RIA)

    assert world.emu.send_message(RIA, "quiz me").status == 200
    (message,) = world.emu.wait_for(lambda: world.emu.inbox(RIA))
    actions = world.card(RIA)["actions"]
    ask_id = int(actions[0]["data"]["ask"])
    correct, options = _correct(world, ask_id)
    wrong = (correct + 1) % len(options)

    assert world.emu.execute(RIA, message["id"], title=options[wrong]).status == 200

    texts = card_texts(world.card(RIA))
    assert texts[1].startswith(f"**Not quite.** You answered {options[wrong]}")
    with world.drumbeat.services.unit_of_work() as session:
        assert session.get(QuizAsk, ask_id).correct is False
