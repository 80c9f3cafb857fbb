"""The shipped default pack loads, covers every expectation, and renders for a real rep."""

from __future__ import annotations

from collections import Counter

import pytest

from messages.library import SAMPLE_CONTEXT, ContentPack, default_pack_path, load_pack
from messages.render import render_text


@pytest.fixture(scope="module")
def pack() -> ContentPack:
    return load_pack(default_pack_path())


def test_default_pack_is_shipped_inside_the_messages_package() -> None:
    path = default_pack_path()

    assert path.is_file()
    assert path.parent.name == "content" and path.parent.parent.name == "messages"


def test_default_pack_loads(pack: ContentPack) -> None:
    assert pack.pack == "default"
    assert 6 <= len(pack.expectations) <= 8
    assert 5 <= len(pack.messages) <= 7
    assert sum(message.key_message for message in pack.messages) >= 1


def test_default_pack_covers_the_strategy_topics(pack: ContentPack) -> None:
    keys = {expectation.key for expectation in pack.expectations}

    assert {
        "on-strategy-first",
        "off-strategy-by-exception",
        "qualify-against-icp",
        "m3-rhythm",
        "stop-start-continue",
        "pipeline-hygiene",
        "key-account-call-plans",
    } <= keys


def test_every_default_expectation_has_two_questions_and_a_coaching_tip(pack: ContentPack) -> None:
    for expectation in pack.expectations:
        assert len(pack.questions_for(expectation.key)) >= 2, expectation.key
        assert pack.tip_for(expectation.key) is not None, expectation.key


def test_every_default_expectation_is_carried_by_some_message(pack: ContentPack) -> None:
    carried = {key for message in pack.messages for key in message.expectations}

    assert carried == {expectation.key for expectation in pack.expectations}


def test_default_questions_do_not_always_put_the_answer_in_the_same_place(pack: ContentPack) -> None:
    positions = Counter(question.correct for question in pack.questions)

    assert len(positions) >= 3
    assert max(positions.values()) <= len(pack.questions) // 2


@pytest.mark.parametrize("key", [message.key for message in load_pack(default_pack_path()).messages])
def test_every_default_message_body_renders_for_a_sample_person(pack: ContentPack, key: str) -> None:
    message = pack.message(key)

    text = render_text(message.body, {"person": {**SAMPLE_CONTEXT["person"], "first_name": "Priya"}})

    assert "{{ person.first_name }}" in message.body
    assert "Priya" in text
    assert "{{" not in text and "{%" not in text
    assert len(text) <= 3000
