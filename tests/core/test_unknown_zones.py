"""People with no known time zone (Person.tz still NO_KNOWN_ZONE): counted at import and after a directory sync,
and a leader is told when a broadcast's recipients include them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.core import broadcasts
from bot.core.broadcasts import AudienceSpec
from bot.core.org import DirectoryEntry, apply_directory, count_without_zone, import_org_csv
from bot.core.roles import identify
from bot.core.words.zones import broadcast_zones_note, import_zones_note
from bot.demo import demo_org_csv
from bot.platforms import USER_ID_FORMATS
from bot.slack.people import slack_address as slack
from storage.db import session_scope
from storage.models import Message

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EAST_REPS = ("U0REPEA01", "U0REPEA02", "U0REPEA03")


def test_an_import_counts_everyone_without_a_zone_and_a_sync_counts_them_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        report = import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
    assert report.without_zone == 9 and len(report.person_ids) == 9
    with session_scope(engine) as session:
        apply_directory(session, [DirectoryEntry(slack(user_id), "Asia/Tokyo", None, False) for user_id in EAST_REPS])
    with session_scope(engine) as session:
        assert count_without_zone(session, report.person_ids) == 6
        assert count_without_zone(session, []) == 0


def test_a_broadcast_to_people_without_a_zone_says_how_many(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        apply_directory(session, [DirectoryEntry(slack(user_id), "Europe/Berlin", None, False)
                                  for user_id in EAST_REPS[:2]])
        session.add(Message(key="icp-first", version=1, title="ICP first", body="Qualify"))
    with session_scope(engine) as session:
        queued = broadcasts.send_now(session, sender=identify(session, slack("U0LEADER1")), message_key="icp-first",
                                     audience=AudienceSpec(teams=("East",)), now=NOW)
    assert (queued.recipients, queued.without_zone) == (3, 1)


def test_zone_notes_name_the_count_and_what_it_means() -> None:
    assert broadcast_zones_note(0) is None
    assert broadcast_zones_note(1) == ("1 of them has no known time zone yet, so their local time and quiet hours "
                                       "are reckoned in UTC until the directory sync finds theirs.")
    assert broadcast_zones_note(3).startswith("3 of them have no known time zone yet")
    assert import_zones_note(3, synced=False) == (
        "3 people have no time zone yet: they will get messages at UTC times until the directory sync finds theirs "
        "(Drumbeat syncs at start and daily).")
    assert import_zones_note(1, synced=True).startswith("1 person has no time zone yet: they will get messages at UTC")
    assert import_zones_note(0, synced=True) == "Everyone imported has a time zone."
    assert import_zones_note(0, synced=False) == ""


def test_a_directory_zone_no_system_could_load_leaves_the_known_zone(engine: Engine) -> None:
    """A fuzzed `tz` of 300 characters made ZoneInfo raise OSError ("File name too long") inside user_change."""
    with session_scope(engine) as session:
        import_org_csv(session, demo_org_csv(), formats=USER_ID_FORMATS)
        apply_directory(session, [DirectoryEntry(slack("U0REPEA01"), "Asia/Tokyo", None, False)])
    with session_scope(engine) as session:
        for odd in ("Europe/" + "x" * 300, "../../etc/passwd", "\u00ea\u00b3/\u0090"):
            apply_directory(session, [DirectoryEntry(slack("U0REPEA01"), odd, None, False)])
    with session_scope(engine) as session:
        assert identify(session, slack("U0REPEA01")).tz == "Asia/Tokyo"
