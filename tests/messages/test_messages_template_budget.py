"""Issue 14, items 1-3: no leader's template can hold a worker; every attack fails with a clear budget error."""

from __future__ import annotations

from typing import Any

import pytest

from messages.budget import BUDGET_WORDS, MAX_RANGE, MAX_STEPS, Budget, BudgetExceeded
from messages.render import TemplateProblem, render_text, trial_render

PERSON: dict[str, Any] = {"person": {"name": "Alex Morgan", "first_name": "Alex", "team": "East", "manager": "Sam"}}
NESTED_LOOPS = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}stop?"


def doubling(times: int, operator: str = "~") -> str:
    return ("{% set ns = namespace(s='xx') %}{% for i in range(" + str(times) + ") %}"
            "{% set ns.s = ns.s " + operator + " ns.s %}{% endfor %}{{ ns.s | length }}")


@pytest.mark.parametrize(
    "source",
    [
        NESTED_LOOPS,  # issue 14 item 1: held the dispatcher for hours
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
        doubling(27),  # 268 MB in 3.6 s
        doubling(40),  # hung
        doubling(40, "+"),
        "{{ range(1000) | join('x' * 99999) }}",  # 100 MB
        "{{ lipsum(20000) }}",  # 6.9 s
        "{{ range(10**9) | list }}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        "{% set big = 'x' * 99999 %}{% set s %}{% for i in range(10000) %}{{ big }}{% endfor %}{% endset %}{{ s | length }}",
        "{% set big = 'x' * 99999 %}{% filter length %}{% for i in range(10000) %}{{ big }}{% endfor %}{% endfilter %}",
        "{% set ns = namespace(l=[]) %}{% for i in range(10000) %}{% set ns.l = ns.l + ['x' * 99999] %}{% endfor %}",
        "{{ ('x' * 99999) | replace('x', 'y' * 1000) }}",
    ],
)
def test_a_template_that_would_hold_a_worker_fails_with_the_template_budget(source: str) -> None:
    with pytest.raises(BudgetExceeded) as caught:
        render_text(source, PERSON)

    assert BUDGET_WORDS in str(caught.value)
    assert caught.value.line == 1


def test_the_budget_error_says_what_was_exceeded() -> None:
    with pytest.raises(BudgetExceeded) as range_error:
        render_text("{{ range(10**9) | list }}", PERSON)
    with pytest.raises(BudgetExceeded) as steps_error:
        render_text("{% for a in range(5000) %}{% for b in range(5000) %}{% endfor %}{% endfor %}", PERSON)

    assert f"at most {MAX_RANGE:,}" in str(range_error.value)
    assert f"more than {MAX_STEPS:,} loop steps and calls" in str(steps_error.value)


def test_the_deadline_stops_work_that_builds_nothing() -> None:
    slow = "{% set big = 'x' * 99999 %}{% for i in range(10000) %}{{ (big | upper) | length > 0 }}{% endfor %}"
    with pytest.raises(BudgetExceeded) as caught:
        render_text(slow, PERSON, limits=Budget(seconds=0.0))

    assert "longer than" in str(caught.value)


def test_a_body_that_blew_its_budget_is_refused_for_every_later_reader_without_rendering() -> None:
    source = ("{% if person.first_name == 'Alex' %}" + NESTED_LOOPS + "{% endif %}Hello {{ person.first_name }}")
    other = {"person": {**PERSON["person"], "first_name": "Jonas"}}
    fresh = source + " "  # the same text, once more, never over budget for Jonas
    assert render_text(fresh, other) == "Hello Jonas "

    with pytest.raises(BudgetExceeded):
        render_text(source, PERSON)
    with pytest.raises(BudgetExceeded):  # Jonas alone would have been fine: the body is known to be hostile
        render_text(source, other)


def test_sandbox_escapes_are_still_refused_as_not_allowed() -> None:
    with pytest.raises(TemplateProblem) as caught:
        render_text("{{ ''.__class__ }}", PERSON)

    assert "not allowed" in str(caught.value) and not isinstance(caught.value, BudgetExceeded)


def test_ordinary_templates_with_loops_joins_and_concatenation_still_render() -> None:
    source = ("Hi {{ person.first_name ~ '!' }} {% for n in range(3) %}{{ n }}{% endfor %} "
              "{{ ['a', 'b'] | join(', ') }} {{ [1, 2, 3] | sum }} {{ 'x' * 3 }} {{ person.team | replace('E', 'e') }}"
              " {{ lipsum(1, false, 5, 10) | length > 0 }}")

    assert render_text(source, PERSON) == "Hi Alex! 012 a, b 6 xxx east True"


def test_a_trial_render_catches_a_body_that_only_fails_when_rendered() -> None:
    with pytest.raises(BudgetExceeded):
        trial_render("{% for i in range(10**9) %}{% endfor %}")
    with pytest.raises(TemplateProblem) as caught:
        trial_render("Hi {{ person.nickname }}")

    assert "nickname" in str(caught.value)
