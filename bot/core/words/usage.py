"""What help says: every sub-command with what it does, and what was wrong with what the person typed."""

from __future__ import annotations

from typing import Final

from bot.core.words.screen import Screen, Section
from messages.rich import Code, Icon, Rich, Strong

COMMANDS: Final[tuple[tuple[str, str | Rich], ...]] = (
    ("help", "this list"),
    ("home", "your dashboard: what waits for you, your understanding, your teams (Slack: also the app's Home tab)"),
    ("send <message-key> to @person, Team name",
     Rich("leaders: send a strategy message now, with a ", Strong("Got it"), " button")),
    ("broadcast", "leaders: schedule a broadcast (once or recurring, at each rep's local time)"),
    ("schedules", "leaders: your broadcasts, with pause / resume / edit / send now / cancel"),
    ("summary [team | @person | me] [7d|30d|90d|quarter]",
     "managers and leaders: a team's message reach, understanding, feedback and momentum; reps: your own figures"),
    ("summary export [team | @person] [period]", "the same figures as a CSV file in our DM"),
    ("summary pipeline [team | @person] [period]",
     "how much of the pipeline is on strategy: reps your own, managers a team, leaders the organisation by team"),
    ("deal deliberate <CRM id> <reason> | deal clear <CRM id>",
     "reps and their managers: mark an off-strategy deal as deliberate (a longer-term opportunity, a reference)"),
    ("team link <team> @usergroup",
     "leaders: keep a team's members in sync with a Slack user group (in Teams: an Entra group's object id)"),
    ("feedback [list [team] [YYYY-MM] | mine | request <team> | <question> | yousaid <team> | <note>]",
     "stop / start / continue feedback, anonymous if you like"),
    ("quiz me", "practise a pulse-check question now (missed ones come back first)"),
    ("quiz new", "leaders: add a pulse-check question for an expectation"),
    ("away until 2026-12-01 | away 2026-12-20 to 2027-01-04 | away off", "hold your messages while you are away"),
)


def usage_screen(command: str, problem: str | Rich | None = None) -> Screen:
    """`command` is how the person invokes Drumbeat on their platform (e.g. `/drumbeat`)."""
    sections = [Section(lines=(Rich(Icon("puzzled"), " ", problem),))] if problem else []
    sections += [
        Section(lines=(Rich(Strong(f"What you can do with {command}")),)),
        Section(lines=tuple(Rich(Code(f"{command} {syntax}"), ": ", what) for syntax, what in COMMANDS)),
    ]
    return Screen(summary=f"Drumbeat commands: {command} help", sections=tuple(sections))


def direct_message_hint(command: str) -> Rich:
    """The answer to someone who writes to the bot in its DM: it reads commands there, not messages."""
    return Rich("I don't read messages written here. Type ", Code(f"{command} help"), " to see what I can do.")
