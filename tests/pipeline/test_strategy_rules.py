"""The strategy's definition in content packs: rules load, and every bad rule is reported with file, line, key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.core.content import retire_rules_of_unloaded_packs, sync_pack
from messages.library import ContentPackError, Problem, load_pack, load_packs
from storage.db import session_scope
from storage.deals import StrategyRule

STRATEGY = Path(__file__).with_name("strategy.yaml")


def problems(tmp_path: Path, body: str, *, name: str = "bad.yaml") -> list[Problem]:
    path = tmp_path / name
    path.write_text("pack: bad\nversion: 1\nstrategy_rules:\n" + textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(ContentPackError) as caught:
        load_pack(path)
    return caught.value.problems


def test_the_strategy_pack_loads_each_rule_with_its_id_kind_and_reason() -> None:
    pack = load_pack(STRATEGY)
    by_id = {rule.id: rule for rule in pack.strategy_rules}
    assert set(by_id) == {"icp-segment", "icp-industry", "icp-region", "priority-offering", "deal-size"}
    assert by_id["icp-segment"].values == ("Enterprise", "Mid-Market")
    assert by_id["deal-size"].minimum == 20000 and by_id["deal-size"].values == ()
    assert by_id["priority-offering"].reason.startswith("Analytics Cloud")


def test_an_unknown_kind_is_reported_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, """\
      - id: icp-industry
        kind: industri
        values: [Retail]
        reason: "Retail is ours."
    """)
    assert len(found) == 1
    assert found[0].line == 5 and found[0].key_path == "strategy_rules[0] (icp-industry).kind"
    assert "'industri' is not a kind of rule (did you mean 'industry'?)" in found[0].message


def test_a_rule_without_values_or_reason_and_a_minimum_on_a_value_rule_are_each_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, """\
      - id: icp-region
        kind: region
        minimum: 5
      - id: Big Deals
        kind: minimum-amount
        values: [x]
        reason: "Big only."
    """)
    messages = {(problem.line, problem.key_path, problem.message) for problem in found}
    assert (4, "strategy_rules[0] (icp-region).reason", "missing required field") in messages
    assert any(line == 4 and "missing required field 'values'" in text for line, _, text in messages)
    assert any(line == 6 and key.endswith(".minimum") and "only a minimum-amount rule" in text
               for line, key, text in messages)
    assert any(line == 7 and key.endswith(".id") and "lowercase letters" in text for line, key, text in messages)
    assert any(line == 9 and "has a minimum, not values" in text for line, _, text in messages)
    assert any(line == 7 and "missing required field 'minimum'" in text for line, _, text in messages)


def test_a_second_rule_of_the_same_kind_in_another_pack_is_refused_with_where_the_first_is(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(textwrap.dedent("""\
        pack: other
        version: 1
        strategy_rules:
          - id: more-industries
            kind: industry
            values: [Retail]
            reason: "Retail too."
    """), encoding="utf-8")
    with pytest.raises(ContentPackError) as caught:
        load_packs([STRATEGY, other])
    [problem] = caught.value.problems
    assert problem.file == other and problem.line == 5
    assert "a second industry rule (the first is at strategy.yaml:" in problem.message


def test_repeated_values_and_a_zero_minimum_are_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, """\
      - id: offer
        kind: offering
        values: [Analytics Cloud, analytics  cloud]
        reason: "New offer."
      - id: size
        kind: minimum-amount
        minimum: 0
        reason: "Big only."
    """)
    assert [(problem.line, problem.message) for problem in found] == [
        (6, "'analytics  cloud' repeats item 0"), (10, "is 0; a minimum deal size is at least 1")]


def test_syncing_stores_rules_with_folded_values_and_retires_what_the_pack_dropped(engine: Engine) -> None:
    pack = load_pack(STRATEGY)
    with session_scope(engine) as session:
        sync_pack(session, pack)
    fewer = pack.model_copy(update={"strategy_rules": pack.strategy_rules[:2]})
    with session_scope(engine) as session:
        sync_pack(session, fewer)
    with session_scope(engine) as session:
        rows = {row.key: row for row in session.execute(select(StrategyRule)).scalars()}
        assert rows["icp-segment"].value_keys == ["enterprise", "mid-market"] and rows["icp-segment"].active
        assert not rows["deal-size"].active and rows["deal-size"].minimum_minor == 2_000_000
        assert retire_rules_of_unloaded_packs(session, ["default"]) == 2
        assert not any(row.active for row in session.execute(select(StrategyRule)).scalars())
