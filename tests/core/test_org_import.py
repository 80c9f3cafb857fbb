from __future__ import annotations

from tests.people import slack_person
from bot.platforms import USER_ID_FORMATS
from bot.slack.people import slack_address as slack
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.core.org import DirectoryEntry, OrgImportError, apply_directory, import_org_csv
from bot.demo import demo_org_csv
from storage.db import session_scope
from storage.models import Account, Person, Team

HEADER = "slack_id,email,name,role,team,manager_slack_id\n"


def people_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.execute(select(func.count()).select_from(Person)).scalar_one()


def test_demo_org_imports_people_teams_and_managers(engine: Engine) -> None:
    with session_scope(engine) as session:
        report = import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
    assert (report.created, report.updated, report.unchanged) == (9, 0, 0)
    assert sorted(report.teams_created) == ["East", "West"]
    with session_scope(engine) as session:
        aiko = slack_person(session, "U0REPEA01")
        marco = session.get(Person, aiko.manager_id)
        assert marco.name == "Marco Rossi"
        assert session.get(Team, aiko.team_id).name == "East"


def test_reimporting_the_same_file_changes_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
    with session_scope(engine) as session:
        report = import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 9)
    assert people_count(engine) == 9


def test_reimport_updates_a_moved_rep(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
    moved = demo_org_csv().replace("U0REPEA01,aiko@example.com,Aiko Tanaka,rep,East,U0MGREAST",
                                   "U0REPEA01,aiko@example.com,Aiko Tanaka,rep,West,U0MGRWEST")
    with session_scope(engine) as session:
        report = import_org_csv(session, moved, formats=USER_ID_FORMATS)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 8)
    with session_scope(engine) as session:
        aiko = slack_person(session, "U0REPEA01")
        assert session.get(Team, aiko.team_id).name == "West"


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_imported(engine: Engine) -> None:
    text = HEADER + (
        "U0AAA1,a@example.com,Ann,rep,East,\n"  # fine
        "not-an-id,b@example.com,Bob,rep,East,\n"  # line 3
        "U0CCC1,c@example,Cid,boss,East,\n"  # line 4: email and role
        "U0AAA1,d@example.com,Dup,rep,East,\n"  # line 5: duplicate id
        "U0EEE1,,,rep,,\n"  # line 6: no name, rep without team
    )
    with pytest.raises(OrgImportError) as raised, session_scope(engine) as session:
        import_org_csv(session, text, formats=USER_ID_FORMATS)
    problems = "\n".join(raised.value.problems)
    assert "line 3: slack_id 'not-an-id'" in problems
    assert "line 4: email 'c@example'" in problems
    assert "line 4: role 'boss'" in problems
    assert "line 5: slack_id U0AAA1 appears again (first on line 2)" in problems
    assert "line 6: name is empty" in problems
    assert "line 6: a rep needs a team" in problems
    assert people_count(engine) == 0


def test_missing_and_unknown_columns_are_named(engine: Engine) -> None:
    with pytest.raises(OrgImportError, match="missing column.*manager_slack_id.*unknown column.*boss"), session_scope(engine) as session:
        import_org_csv(session, "slack_id,email,name,role,team,boss\nU1,a@b.co,A,rep,East,\n", formats=USER_ID_FORMATS)


def test_unknown_manager_is_rejected_with_its_line(engine: Engine) -> None:
    with pytest.raises(OrgImportError, match="line 2: manager_slack_id U0NOBODY is neither"), session_scope(engine) as session:
        import_org_csv(session, HEADER + "U0AAA1,a@example.com,Ann,rep,East,U0NOBODY\n", formats=USER_ID_FORMATS)
    assert people_count(engine) == 0


def test_excel_byte_order_mark_and_blank_lines_are_accepted(engine: Engine) -> None:
    with session_scope(engine) as session:
        report = import_org_csv(session, "\ufeff" + HEADER + "\nU0AAA1,a@example.com,Ann,rep,East,\n\n", formats=USER_ID_FORMATS)
    assert report.created == 1


def test_directory_sync_sets_time_zones_and_ignores_unknown_zones(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        changed = apply_directory(session, [
            DirectoryEntry(slack("U0REPEA01"), "Asia/Tokyo", None, False),
            DirectoryEntry(slack("U0REPEA02"), "Mars/Olympus", None, False),
            DirectoryEntry(slack("U0STRANGER"), "Europe/Paris", None, False),
        ])
    assert changed == 1
    with session_scope(engine) as session:
        zones = dict(session.execute(select(Account.user_id, Person.tz).join(Person, Person.id == Account.person_id)
                                     .where(Account.user_id.like("U0REPEA0%"))).all())
    assert zones["U0REPEA01"] == "Asia/Tokyo"
    assert zones["U0REPEA02"] == "UTC"
    assert people_count(engine) == 9


def test_an_organisation_of_thousands_imports_and_reimports_in_one_go(engine: Engine) -> None:
    """Looking people up by account is chunked: one query naming every account hits SQLite's expression limit."""
    lines = ["slack_id,email,name,role,team,manager_slack_id", "U0LEADER1,lead@example.com,Lena Okafor,leader,,"]
    lines += [f"U3{n:07d},rep{n}@example.com,Rep {n},rep,Field,U0LEADER1" for n in range(2_500)]
    text = "\n".join(lines) + "\n"
    with session_scope(engine) as session:
        assert import_org_csv(session, text, formats=USER_ID_FORMATS).created == 2_501
    with session_scope(engine) as session:
        report = import_org_csv(session, text, formats=USER_ID_FORMATS)
        assert (report.created, report.unchanged) == (0, 2_501)
        assert session.execute(select(func.count()).select_from(Account)).scalar_one() == 2_501
