"""What Drumbeat says about people whose time zone it does not know yet (they are reckoned in UTC meanwhile)."""

from __future__ import annotations


def import_zones_note(without_zone: int, *, synced: bool) -> str:
    """After `drumbeat org import`: how many of the imported people still have no time zone, and what that means."""
    if not without_zone:
        return "Everyone imported has a time zone." if synced else ""
    who = "1 person has" if without_zone == 1 else f"{without_zone} people have"
    then = ("until the directory sync finds theirs (Drumbeat syncs at start and daily)" if not synced else
            "until their chat platform's directory gives one (Drumbeat syncs daily; check they are in the workspace)")
    return f"{who} no time zone yet: they will get messages at UTC times {then}."


def broadcast_zones_note(without_zone: int) -> str | None:
    """In a leader's confirmation: recipients whose local time and quiet hours are reckoned in UTC for now."""
    if not without_zone:
        return None
    who = "1 of them has" if without_zone == 1 else f"{without_zone} of them have"
    return (f"{who} no known time zone yet, so their local time and quiet hours are reckoned in UTC until the "
            "directory sync finds theirs.")
