"""A leader's body keeps its own markup, and every value it writes out stays a value for the dialect to escape."""

from __future__ import annotations

import pytest

from bot.slack.render import mrkdwn
from messages.marks import CLOSE, OPEN
from messages.render import render_body, render_text
from messages.rich import Rich, Written

EVIL = "<!channel> <https://evil.example|Alex> &"
PERSON = {"person": {"name": f"{EVIL} Morgan", "first_name": EVIL, "team": "East", "manager": "Sam"}}
ESCAPED = "&lt;!channel&gt; &lt;https://evil.example|Alex&gt; &amp;"


def slack(source: str, context: dict = PERSON) -> str:
    return mrkdwn(render_body(source, context))


def test_a_greeting_keeps_the_leaders_markup_and_escapes_the_name() -> None:
    assert slack("Hi *{{ person.first_name }}*, see <https://example.com|the plan> & act") == (
        f"Hi *{ESCAPED}*, see <https://example.com|the plan> & act")


def test_values_are_compared_and_measured_as_they_are() -> None:
    source = "{% if person.team == 'East' %}{{ person.first_name | length }}{% endif %}"
    assert slack(source) == str(len(EVIL))


@pytest.mark.parametrize("source", [
    "{% set who %}*{{ person.first_name }}*{% endset %}{{ who }}",
    "{% macro bold(x) %}*{{ x }}*{% endmacro %}{{ bold(person.first_name) }}",
    "{% macro bold(x) %}*{{ x }}*{% endmacro %}{{ bold(person.first_name) ~ '' }}",
    "{% set star %}*{% endset %}{{ star + person.first_name + star }}",
])
def test_a_value_inside_the_leaders_blocks_and_macros_is_escaped_once(source: str) -> None:
    assert slack(source) == f"*{ESCAPED}*"


@pytest.mark.parametrize("source", [
    "{{ person.first_name | safe }}",
    "{{ person.first_name | e }}",
    "{% autoescape false %}{{ person.first_name }}{% endautoescape %}",
    "{{ person.first_name | upper | lower }}",
    "{{ [person.first_name] | join(', ') }}",
])
def test_no_filter_or_block_turns_a_value_into_markup(source: str) -> None:
    assert "<!channel>" not in slack(source) and "&lt;!channel&gt;" in slack(source)


def test_a_name_carrying_our_marks_cannot_close_its_own_value() -> None:
    sly = {"person": {**PERSON["person"], "first_name": f"x{CLOSE}<!channel>{OPEN}"}}
    assert slack("Hi {{ person.first_name }}", sly) == "Hi x&lt;!channel&gt;"


def test_the_body_is_neutral_rich_text_and_its_plain_text_unescaped() -> None:
    body = render_body("Hi {{ person.first_name }}!", PERSON)
    assert body == Rich(Written("Hi "), EVIL, Written("!"))
    assert render_text("Hi {{ person.first_name }}!", PERSON) == f"Hi {EVIL}!"
