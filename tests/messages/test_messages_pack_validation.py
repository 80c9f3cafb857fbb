"""Content pack validation: every problem is reported with its file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from messages.library import ContentPack, ContentPackError, Problem, load_pack, load_packs

# A small pack that passes every check; tests break one thing at a time.
VALID_PACK = textwrap.dedent(
    """\
    pack: team
    version: 1
    expectations:
      - key: icp-fit
        statement: "Qualify every opportunity against the ICP before investing time."
        pillar: qualification
    messages:
      - key: qualify-first
        title: "Qualify first"
        version: 1
        expectations: [icp-fit]
        key_message: true
        body: |
          Hi {{ person.first_name }},
          check the ICP before you invest time.
    questions:
      - key: q-icp-when
        expectation: icp-fit
        prompt: "When do you check the ICP?"
        options: ["Before investing time", "At proposal", "After closing"]
        correct: 0
        explanation: "Qualification is cheapest at the start."
    coaching_tips:
      - expectation: icp-fit
        talking_points:
          goal: "Is the ICP clear?"
          work_products: "Is the check in the CRM?"
          process: "Is there a defined point to qualify?"
          tasks: "Are the questions asked early?"
          person: "Is it skill or will?"
    """
)


def write(directory: Path, text: str, name: str = "pack.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``, so tests never hard-code line numbers."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not found {occurrence} time(s)"
    return hits[occurrence - 1]


def problems_for(tmp_path: Path, text: str) -> list[Problem]:
    with pytest.raises(ContentPackError) as caught:
        load_pack(write(tmp_path, text))
    return caught.value.problems


def only_problem(tmp_path: Path, text: str) -> Problem:
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_valid_pack_loads_into_frozen_models(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, VALID_PACK))

    assert isinstance(pack, ContentPack)
    assert pack.pack == "team" and pack.version == 1
    assert pack.source == tmp_path / "pack.yaml"
    assert pack.message("qualify-first").key_message is True
    assert pack.question("q-icp-when").correct_option == "Before investing time"
    assert pack.tip_for("icp-fit") is not None
    with pytest.raises(ValidationError):
        pack.questions[0].correct = 2  # type: ignore[misc]


def test_key_message_defaults_to_false(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, VALID_PACK.replace("    key_message: true\n", "")))

    assert pack.messages[0].key_message is False


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    text = VALID_PACK.replace('prompt: "When do you check the ICP?"', "prompt: When: do you check: the ICP?")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "prompt: When:")
    assert "YAML syntax error" in problem.message


def test_tab_indentation_is_explained(tmp_path: Path) -> None:
    text = VALID_PACK.replace("    pillar: qualification", "\tpillar: qualification")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "\tpillar")
    assert "spaces, not tabs" in problem.message


def test_unknown_top_level_field_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    text = VALID_PACK.replace("questions:", "questons:")

    problems = problems_for(tmp_path, text)

    typo = next(p for p in problems if p.key_path == "questons")
    assert typo.line == line_of(text, "questons:")
    assert typo.message == "unknown field 'questons' (did you mean 'questions'?)"


def test_unknown_item_field_typo_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = VALID_PACK.replace("    explanation:", "    explaination:")

    problems = problems_for(tmp_path, text)

    typo = next(p for p in problems if p.key_path.endswith(".explaination"))
    assert typo.key_path == "questions[0] (q-icp-when).explaination"
    assert typo.line == line_of(text, "explaination:")
    assert "did you mean 'explanation'" in typo.message
    missing = next(p for p in problems if p.key_path.endswith(".explanation"))
    assert "missing required field" in missing.message


def test_unknown_talking_point_is_reported(tmp_path: Path) -> None:
    text = VALID_PACK.replace("      tasks:", "      taks:")

    problems = problems_for(tmp_path, text)

    typo = next(p for p in problems if p.key_path.endswith("taks"))
    assert typo.key_path == "coaching_tips[0] (icp-fit).talking_points.taks"
    assert typo.line == line_of(text, "taks:")
    assert "did you mean 'tasks'" in typo.message


def test_missing_required_field_points_at_the_item(tmp_path: Path) -> None:
    text = VALID_PACK.replace('    prompt: "When do you check the ICP?"\n', "")

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "questions[0] (q-icp-when).prompt"
    assert problem.line == line_of(text, "- key: q-icp-when")
    assert problem.message == "missing required field"


def test_missing_pack_id_is_reported(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID_PACK.replace("pack: team\n", ""))

    assert problem.key_path == "pack"
    assert problem.message == "missing required field"


def test_question_without_a_correct_option_is_rejected(tmp_path: Path) -> None:
    text = VALID_PACK.replace("    correct: 0\n", "")

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "questions[0] (q-icp-when).correct"
    assert problem.line == line_of(text, "- key: q-icp-when")
    assert "missing required field" in problem.message


@pytest.mark.parametrize("correct", [3, -1])
def test_correct_out_of_range_is_rejected_with_its_line(tmp_path: Path, correct: int) -> None:
    text = VALID_PACK.replace("correct: 0", f"correct: {correct}")

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "questions[0] (q-icp-when).correct"
    assert problem.line == line_of(text, "correct:")
    assert problem.message == f"is {correct}, but the 3 options are numbered 0 to 2"


def test_question_with_six_options_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        'options: ["Before investing time", "At proposal", "After closing"]',
        "options: [a, b, c, d, e, f]",
    )

    problem = only_problem(tmp_path, text)

    line = line_of(text, "options: [a, b")
    assert str(problem) == f"pack.yaml:{line} questions[0] (q-icp-when).options: 6 options given; a question has 2 to 5"


def test_question_with_one_option_is_rejected(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        'options: ["Before investing time", "At proposal", "After closing"]', 'options: ["Before investing time"]'
    )

    problem = only_problem(tmp_path, text)

    assert problem.message == "1 option given; a question has 2 to 5"


def test_duplicate_options_are_rejected_ignoring_case_and_spacing(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        'options: ["Before investing time", "At proposal", "After closing"]',
        'options:\n      - "Before investing time"\n      - "At proposal"\n      - "before  investing time"',
    )

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "questions[0] (q-icp-when).options[2]"
    assert problem.line == line_of(text, '- "before  investing time"')
    assert "repeats item 0" in problem.message


def test_over_long_option_is_rejected(tmp_path: Path) -> None:
    long_option = "x" * 76
    text = VALID_PACK.replace('"At proposal"', f'"{long_option}"')

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "questions[0] (q-icp-when).options[1]"
    assert problem.message.startswith("76 characters;")
    assert "at most 75" in problem.message


def test_option_at_the_limit_is_accepted(tmp_path: Path) -> None:
    load_pack(write(tmp_path, VALID_PACK.replace('"At proposal"', f'"{"x" * 75}"')))


def test_over_long_title_is_rejected(tmp_path: Path) -> None:
    text = VALID_PACK.replace('title: "Qualify first"', f'title: "{"t" * 151}"')

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "messages[0] (qualify-first).title"
    assert problem.line == line_of(text, "title:")
    assert "151 characters" in problem.message and "at most 150" in problem.message


def test_over_long_statement_is_rejected(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        'statement: "Qualify every opportunity against the ICP before investing time."',
        f'statement: "{"s" * 301}"',
    )

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "expectations[0] (icp-fit).statement"
    assert "at most 300" in problem.message


def test_wrong_type_is_reported_with_a_readable_message(tmp_path: Path) -> None:
    text = VALID_PACK.replace("    version: 1\n", '    version: "2"\n')

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "messages[0] (qualify-first).version"
    assert problem.line == line_of(text, 'version: "2"')
    assert problem.message == "should be a whole number, not text; remove the quotes: 2"


def test_yes_read_as_boolean_is_explained(tmp_path: Path) -> None:
    text = VALID_PACK.replace('"At proposal"', "Yes")

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "questions[0] (q-icp-when).options[1]"
    assert 'YAML reads Yes as true, so put it in quotes: "Yes"' in problem.message


def test_boolean_where_a_number_is_expected_is_rejected(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID_PACK.replace("correct: 0", "correct: true"))

    assert problem.message == "should be a whole number, not true"


def test_bad_key_slug_is_rejected(tmp_path: Path) -> None:
    text = VALID_PACK.replace("- key: q-icp-when", "- key: Q ICP When")

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "questions[0] (Q ICP When).key"
    assert "lowercase letters, digits and dashes" in problem.message


def test_duplicate_key_in_a_section_is_reported_at_the_second_one(tmp_path: Path) -> None:
    second = VALID_PACK.split("coaching_tips:")[0].split("questions:\n")[1]
    text = VALID_PACK.replace("coaching_tips:", second + "coaching_tips:")

    problem = only_problem(tmp_path, text)

    first_line = line_of(text, "- key: q-icp-when")
    assert problem.key_path == "questions[1] (q-icp-when).key"
    assert problem.line == line_of(text, "- key: q-icp-when", occurrence=2)
    assert problem.message == f"duplicate key 'q-icp-when' (already used at line {first_line})"


def test_second_coaching_tip_for_an_expectation_is_rejected(tmp_path: Path) -> None:
    tip = VALID_PACK.split("coaching_tips:\n")[1]

    problem = only_problem(tmp_path, VALID_PACK + tip)

    assert problem.key_path == "coaching_tips[1] (icp-fit).expectation"
    assert problem.message.startswith("a second coaching tip for 'icp-fit'")


def test_field_written_twice_in_one_item_is_reported(tmp_path: Path) -> None:
    text = VALID_PACK.replace('    title: "Qualify first"\n', '    title: "Qualify first"\n    title: "Again"\n')

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, 'title: "Again"')
    assert problem.message == f"field 'title' appears twice (first on line {line_of(text, 'Qualify first')})"


@pytest.mark.parametrize(
    ("old", "new", "key_path"),
    [
        ("expectations: [icp-fit]", "expectations: [icp-fitt]", "messages[0] (qualify-first).expectations[0]"),
        ("expectation: icp-fit\n    prompt", "expectation: icp-fitt\n    prompt", "questions[0] (q-icp-when).expectation"),
        ("  - expectation: icp-fit\n", "  - expectation: icp-fitt\n", "coaching_tips[0] (icp-fitt).expectation"),
    ],
)
def test_unknown_expectation_is_reported_where_it_is_referenced(
    tmp_path: Path, old: str, new: str, key_path: str
) -> None:
    text = VALID_PACK.replace(old, new)

    problem = only_problem(tmp_path, text)

    assert problem.key_path == key_path
    assert problem.line == line_of(text, "icp-fitt")
    assert problem.message == "unknown expectation 'icp-fitt' (did you mean 'icp-fit'?)"


def test_body_syntax_error_points_at_the_line_inside_the_body(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        "      check the ICP before you invest time.\n",
        "      check the ICP before you invest time.\n      {% if person.team %}on {{ person.team }\n",
    )

    problem = only_problem(tmp_path, text)

    assert problem.key_path == "messages[0] (qualify-first).body"
    assert problem.line == line_of(text, "{% if person.team %}")
    assert problem.message.startswith("not a valid template: line 3 of the body:")


def test_body_using_an_unknown_person_field_is_rejected_with_a_suggestion(tmp_path: Path) -> None:
    text = VALID_PACK.replace("Hi {{ person.first_name }},", "Hi {{ person.frist_name }},")

    problem = only_problem(tmp_path, text)

    assert problem.line == line_of(text, "frist_name")
    assert "'person' has no attribute 'frist_name' (did you mean 'first_name'?)" in problem.message


def test_several_problems_are_reported_together_in_line_order(tmp_path: Path) -> None:
    text = (
        VALID_PACK.replace('title: "Qualify first"', f'title: "{"t" * 151}"')
        .replace("correct: 0", "correct: 9")
        .replace("      goal:", "      gaol:")
    )

    error = pytest.raises(ContentPackError, load_pack, write(tmp_path, text)).value

    assert [p.key_path for p in error.problems] == [
        "messages[0] (qualify-first).title",
        "questions[0] (q-icp-when).correct",
        "coaching_tips[0] (icp-fit).talking_points.goal",
        "coaching_tips[0] (icp-fit).talking_points.gaol",
    ]
    report = str(error).splitlines()
    assert report[0] == "content pack rejected: 4 problems"
    assert report[1].startswith(f"pack.yaml:{line_of(text, 'title:')} messages[0] (qualify-first).title: 151 characters")
    assert len(report) == 5


def test_problems_in_one_item_do_not_hide_others_in_the_same_item(tmp_path: Path) -> None:
    text = VALID_PACK.replace("    explanation:", "    explaination:").replace("correct: 0", "correct: 5")

    problems = problems_for(tmp_path, text)

    assert {p.key_path.rsplit(".", 1)[1] for p in problems} == {"explaination", "explanation", "correct"}


def test_duplicate_keys_across_packs_are_rejected(tmp_path: Path) -> None:
    first = write(tmp_path, VALID_PACK, "first.yaml")
    other = VALID_PACK.replace("pack: team", "pack: other")
    second = write(tmp_path, other, "second.yaml")

    with pytest.raises(ContentPackError) as caught:
        load_packs([first, second])

    problems = caught.value.problems
    assert {p.file.name for p in problems} == {"second.yaml"}
    by_path = {p.key_path: p for p in problems}
    assert by_path["expectations[0] (icp-fit).key"].message == (
        f"duplicate key 'icp-fit' (already used at first.yaml:{line_of(VALID_PACK, '- key: icp-fit')})"
    )
    assert "questions[0] (q-icp-when).key" in by_path
    assert "messages[0] (qualify-first).key" in by_path
    assert "coaching_tips[0] (icp-fit).expectation" in by_path


def test_same_pack_id_twice_is_rejected(tmp_path: Path) -> None:
    first = write(tmp_path, VALID_PACK, "first.yaml")
    second = write(tmp_path, "pack: team\nversion: 1\n", "second.yaml")

    with pytest.raises(ContentPackError) as caught:
        load_packs([first, second])

    [problem] = caught.value.problems
    assert (problem.file.name, problem.line, problem.key_path) == ("second.yaml", 1, "pack")


def test_a_pack_may_reference_expectations_of_another_loaded_pack(tmp_path: Path) -> None:
    base = write(tmp_path, VALID_PACK, "base.yaml")
    extra = write(
        tmp_path,
        "pack: extra\nversion: 1\nquestions:\n"
        "  - key: q-icp-extra\n    expectation: icp-fit\n    prompt: Why?\n"
        "    options: [a, b]\n    correct: 1\n    explanation: Because.\n",
        "extra.yaml",
    )

    packs = load_packs([base, extra])

    assert [pack.pack for pack in packs] == ["team", "extra"]
    assert packs[1].questions[0].expectation == "icp-fit"


def test_one_bad_pack_rejects_the_whole_set(tmp_path: Path) -> None:
    good = write(tmp_path, VALID_PACK, "good.yaml")
    bad = write(tmp_path, "pack: bad\nversion: 1\nquestions: nope\n", "bad.yaml")

    with pytest.raises(ContentPackError) as caught:
        load_packs([good, bad])

    assert [p.file.name for p in caught.value.problems] == ["bad.yaml"]


def test_a_pack_with_one_bad_item_is_not_half_loaded(tmp_path: Path) -> None:
    text = VALID_PACK.replace("correct: 0", "correct: 9")

    with pytest.raises(ContentPackError):
        load_pack(write(tmp_path, text))
    # Nothing was cached or registered on the way: the fixed file loads cleanly.
    assert load_pack(write(tmp_path, VALID_PACK)).questions[0].correct == 0


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    problem = only_problem_for_path(tmp_path / "nowhere.yaml")

    assert problem.message == "file not found"
    assert str(problem) == "nowhere.yaml: file not found"


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "# nothing yet\n")

    assert problem.message.startswith("the file is empty")


def test_recursive_alias_is_reported_not_looped_on(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, "pack: a\nversion: 1\nexpectations: &loop [*loop]\n")

    assert any("refers to itself" in p.message for p in problems)


def only_problem_for_path(path: Path) -> Problem:
    with pytest.raises(ContentPackError) as caught:
        load_pack(path)
    [problem] = caught.value.problems
    return problem
