"""Microsoft's published bot rate limits, at their thresholds, on simulated time; the ~28 KB message size;
Adaptive Cards 1.5 as Teams renders them."""

from __future__ import annotations

import pytest

from bot.clock import SimulatedClock
from bot.emulators.teams import TeamsEmulator, User
from bot.emulators.teams.cards import check_card

from .teams_emulator_kit import Connector, card, card_message


def _chat(emu: TeamsEmulator, user: User) -> str:
    return emu.conversation_reference(user.aad_object_id)["conversation_id"]


def _installed(emu: TeamsEmulator, count: int) -> list[User]:
    people = [emu.add_user(name=f"Rep {n}") for n in range(count)]
    for person in people:
        emu.user(person.aad_object_id).installed = True  # installed without telling a bot: limits only here
    return people


def _burst(connector: Connector, chat: str, count: int) -> list[int]:
    return [connector.send(chat, text=f"m{n}").status for n in range(count)]


def test_seven_per_second_per_conversation(emu: TeamsEmulator, clock: SimulatedClock) -> None:
    (rep,) = _installed(emu, 1)
    connector = Connector(emu)
    assert _burst(connector, _chat(emu, rep), 8) == [201] * 7 + [429]
    refused = emu.calls_to("send_activity")[-1]
    assert refused.response["error"]["code"] == "Throttled"
    assert len(emu.inbox(rep.aad_object_id)) == 7, "a refused call posts nothing"


def test_retry_after_says_when_and_eight_per_two_seconds_holds(emu: TeamsEmulator, clock: SimulatedClock) -> None:
    (rep,) = _installed(emu, 1)
    connector, chat = Connector(emu), _chat(emu, rep)
    _burst(connector, chat, 7)
    refused = connector.send(chat)
    assert refused.status == 429 and refused.headers["Retry-After"] == "1"
    clock.advance(1.0)
    assert _burst(connector, chat, 2) == [201, 429], "8 in any 2 s"
    clock.advance(1.0)
    assert connector.send(chat).status == 201


def test_sixty_per_thirty_seconds(emu: TeamsEmulator, clock: SimulatedClock) -> None:
    (rep,) = _installed(emu, 1)
    connector, chat = Connector(emu), _chat(emu, rep)
    for _ in range(15):  # 4 a second stays under 7/1 s and 8/2 s
        assert _burst(connector, chat, 4) == [201] * 4
        clock.advance(1.0)
    refused = connector.send(chat)
    assert refused.status == 429 and 14 <= int(refused.headers["Retry-After"]) <= 16


def test_eighteen_hundred_per_hour(emu: TeamsEmulator, clock: SimulatedClock) -> None:
    (rep,) = _installed(emu, 1)
    connector, chat = Connector(emu), _chat(emu, rep)
    statuses = []
    for _ in range(1800):  # one every 0.5 s stays under 60 per 30 s
        statuses.append(connector.send(chat).status)
        clock.advance(0.5)
    assert statuses == [201] * 1800
    refused = connector.send(chat)
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 2000


def test_fifty_per_second_per_tenant_across_conversations(emu: TeamsEmulator, clock: SimulatedClock) -> None:
    reps = _installed(emu, 51)
    connector = Connector(emu)
    statuses = [connector.send(_chat(emu, rep)).status for rep in reps]
    assert statuses == [201] * 50 + [429]
    other_tenant = "1111bbbb-2222-4333-8444-55556666ffff"
    emu.add_tenant(other_tenant)
    outsider = emu.add_user(name="Elsewhere", tenant_id=other_tenant)
    emu.user(outsider.aad_object_id).installed = True
    assert connector.send(_chat(emu, outsider)).status == 201, "the limit is per tenant"


def test_limits_can_be_switched_off(clock: SimulatedClock) -> None:
    with TeamsEmulator(clock=clock, rate_limits=False) as emu:
        (rep,) = _installed(emu, 1)
        assert set(_burst(Connector(emu), _chat(emu, rep), 20)) == {201}


def test_messages_over_28_kb_are_refused_with_413(emu: TeamsEmulator) -> None:
    (rep,) = _installed(emu, 1)
    connector, chat = Connector(emu), _chat(emu, rep)
    envelope = len(b'{"type": "message", "text": ""}')
    assert connector.send(chat, text="x" * (28 * 1024 - envelope)).status == 201
    too_big = connector.send(chat, text="x" * (28 * 1024 - envelope + 1))
    assert too_big.status == 413 and too_big.body["error"]["code"] == "RequestEntityTooLarge"
    assert len(emu.inbox(rep.aad_object_id)) == 1


def test_a_card_is_checked_before_it_is_posted(emu: TeamsEmulator) -> None:
    (rep,) = _installed(emu, 1)
    connector, chat = Connector(emu), _chat(emu, rep)
    good = card(actions=[{"type": "Action.Execute", "title": "Got it", "verb": "gotIt", "data": {"d": 1}}])
    assert connector.send(chat, card_message(good)).status == 201
    too_new = connector.send(chat, card_message(card(version="1.6")))
    assert too_new.status == 400 and "up to 1.5" in too_new.body["error"]["message"]
    assert len(emu.inbox(rep.aad_object_id)) == 1


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ({"type": "AdaptiveCard", "body": []}, "declare its version"),
        (card({"type": "Carousel"}), "unknown element type 'Carousel'"),
        (card({"type": "Table", "rows": []}, version="1.4"), "Table needs card version 1.5"),
        (card(actions=[{"type": "Action.Execute"}], version="1.3"), "Action.Execute needs card version 1.4"),
        (card({"type": "Input.Text"}), "Input.Text requires 'id'"),
        (card({"type": "TextBlock", "text": "a", "id": "x"}, {"type": "Input.Text", "id": "x"}), "duplicate id 'x'"),
        (card(actions=[{"type": "Action.OpenUrl", "title": "Open"}]), "requires 'url'"),
        (card({"type": "Container", "items": [{"type": "Image"}]}), "$.body[0].items[0]: Image requires 'url'"),
        (card({"type": "FactSet", "facts": [{"title": "a"}]}), "a fact needs"),
    ],
)
def test_card_problems_name_the_path(content: dict, needle: str) -> None:
    problems = check_card(content)
    assert any(needle in p for p in problems), problems


def test_unknown_elements_with_a_fallback_are_fine() -> None:
    assert check_card(card({"type": "Carousel", "fallback": "drop"}, {"type": "Future", "fallback":
                                                                      {"type": "TextBlock", "text": "old"}})) == []
