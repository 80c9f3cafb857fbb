"""Leaders' templates are untrusted: the sandbox holds, and every failure is a readable TemplateProblem."""

from __future__ import annotations

from typing import Any

import pytest

from messages.render import MAX_TEXT_LENGTH, TemplateProblem, check_template, render_text

PERSON: dict[str, Any] = {"name": "Alex Morgan", "first_name": "Alex", "team": "Enterprise East", "manager": "Sam"}


def problem_for(source: str, context: dict[str, Any] | None = None) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as caught:
        render_text(source, {"person": PERSON} if context is None else context)
    return caught.value


def test_renders_a_leaders_template_with_the_person() -> None:
    source = "Hi {{ person.first_name }},\n{% if person.team %}team {{ person.team }}{% endif %}"

    assert render_text(source, {"person": PERSON}) == "Hi Alex,\nteam Enterprise East"


def test_trim_and_lstrip_blocks_keep_block_tags_off_the_output() -> None:
    source = "Priorities:\n  {% for item in items %}\n• {{ item }}\n  {% endfor %}\nDone"

    assert render_text(source, {"items": ["ICP", "pipeline"]}) == "Priorities:\n• ICP\n• pipeline\nDone"


def test_output_is_not_html_escaped() -> None:
    assert render_text("{{ text }}", {"text": "R&D <team>"}) == "R&D <team>"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ person.__class__.__subclasses__() }}",
        "{{ lipsum.__globals__['os'] }}",
    ],
)
def test_sandbox_blocks_access_to_python_internals(source: str) -> None:
    problem = problem_for(source)

    assert problem.line == 1
    assert "not allowed" in str(problem)
    assert "unsafe" in str(problem)


def test_templates_cannot_change_the_data_they_are_given() -> None:
    person = dict(PERSON)

    problem = problem_for("{{ person.update({'first_name': 'Mallory'}) }}", {"person": person})

    assert "not allowed" in str(problem)
    assert person["first_name"] == "Alex"


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 1000000000 }}",
        "{{ [1] * 1000000000 }}",
        "{{ 10 ** 1000000 }}",
        "{{ 'x'.ljust(1000000000) }}",
        "{{ '%1000000000d' % 1 }}",
        "{{ '{:>1000000000}'.format(1) }}",
        "{{ 'x' | center(1000000000) }}",
        "{{ [1] | batch(1000000000, 0) | list }}",
    ],
)
def test_memory_bombs_are_refused(source: str) -> None:
    assert "not allowed" in str(problem_for(source))


def test_output_longer_than_slack_accepts_is_stopped() -> None:
    problem = problem_for("{% for i in range(5000) %}0123456789{% endfor %}")

    assert str(problem) == f"the text would be longer than {MAX_TEXT_LENGTH} characters"


def test_undefined_attribute_names_the_variable_and_line() -> None:
    problem = problem_for("Hi {{ person.first_name }},\n{{ person.nickname }}")

    assert problem.line == 2
    assert str(problem) == "line 2: 'person' has no attribute 'nickname' (did you mean 'name'?)"


def test_undefined_variable_is_reported_by_name() -> None:
    problem = problem_for("Hi\n\n{{ persn.first_name }}")

    assert str(problem) == "line 3: 'persn' is undefined (did you mean 'person'?)"


def test_undefined_nested_attribute_names_the_full_path() -> None:
    problem = problem_for("{{ person.manager.first_name }}")

    assert problem.message.startswith("'person.manager' has no attribute 'first_name'")


def test_syntax_error_reports_its_line() -> None:
    problem = problem_for("Hi {{ person.first_name }}\n{{ person.team }")

    assert str(problem) == "line 2: unexpected '}'"


def test_runtime_error_becomes_a_template_problem() -> None:
    problem = problem_for("ok\n{{ 1 / 0 }}")

    assert str(problem) == "line 2: division by zero"


def test_unknown_filter_becomes_a_template_problem() -> None:
    problem = problem_for("{{ person.name | shout }}")

    assert problem.line == 1
    assert "shout" in problem.message


@pytest.mark.parametrize(
    "source", ["{% include 'slack/anything.json.j2' %}", "{% extends 'base' %}", "{% import 'm' as m %}"]
)
def test_templates_cannot_pull_in_other_templates(source: str) -> None:
    with pytest.raises(TemplateProblem, match="cannot use"):
        check_template(source)


def test_check_template_accepts_a_valid_template_without_rendering_it() -> None:
    check_template("{{ anything.goes_at_render_time }}")


def test_check_template_rejects_a_syntax_error_with_its_line() -> None:
    with pytest.raises(TemplateProblem) as caught:
        check_template("one\ntwo\n{% for x in y %}")

    assert caught.value.line == 3


def test_problems_never_carry_a_traceback_in_their_text() -> None:
    for source in ["{{ 1/0 }}", "{{ x }}", "{{ ''.__class__ }}", "{% if %}"]:
        text = str(problem_for(source, {}))
        assert "Traceback" not in text and "File " not in text
