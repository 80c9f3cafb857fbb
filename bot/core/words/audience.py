"""What a leader is told about an audience before it is sent: how many it reaches now, and who is left out."""

from __future__ import annotations

from bot.core.words.zones import broadcast_zones_note
from messages.rich import Icon, Mention, PersonRef, Rich
from storage.address import Address
from storage.queries.audience import AudienceReach


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def reach_lines(reach: AudienceReach, *, platform: str) -> list[Rich]:
    """The preview: the reach now, the members left out (named, a few), and groups not read yet. Time zones are
    said by bot.core.words.zones (those people are reached, at UTC times)."""
    lines = [Rich(f"The audience reaches {_people(reach.people)} now; a recurring broadcast reaches whoever is in "
                  "it on the day.")]
    if reach.outside_directory:
        named = Rich.join(", ", (Mention(PersonRef(user_id, Address(platform, user_id)))
                                 for user_id in reach.outside_sample))
        more = reach.outside_directory - len(reach.outside_sample)
        lines.append(Rich(Icon("warning"), f" Left out: {_people(reach.outside_directory)} in those groups "
                          "not in Drumbeat's directory (", named, f" and {more} more" if more > 0 else "",
                          "); they are reached once the directory knows them."))
    if reach.unread_groups:
        lines.append(Rich(Icon("warning"), f" {reach.unread_groups} of the groups could not be read yet: their "
                          "members are counted when they are."))
    return lines


def count_lines(reach: AudienceReach, *, platform: str) -> list[Rich]:
    """What *Count who it reaches* says in a broadcast form: the preview, and the people reckoned in UTC."""
    lines = reach_lines(reach, platform=platform)
    if zones := broadcast_zones_note(reach.without_zone):
        lines.append(Rich(zones))
    return lines
