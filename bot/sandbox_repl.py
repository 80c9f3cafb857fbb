"""The sandbox's prompt: type `<person> <what they do>` and see what everybody sees.

Its own words (`help`, `dispatch`, `quit`, and per person `got-it`, `answer N`, `home`, `click LABEL`) are
listed by `help`; anything else after a person's name is what they type after the slash command. The examples
it suggests are chosen from the sandbox's state when they are shown, so each one works as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.demo import DEMO_PEOPLE, DemoPerson

if TYPE_CHECKING:
    from bot.sandbox import Sandbox

PROMPT = "sandbox> "


def help_lines(sandbox: Sandbox) -> list[str]:
    command = sandbox.settings.command
    people = [f"  {p.handle:<6} {p.name} ({p.role}{', ' + p.team if p.team else ''}, {p.tz})" for p in DEMO_PEOPLE]
    return [
        "Sandbox commands (type them at the prompt):",
        f"  <person> <text>        what the person types after {command}, e.g. `marco summary 7d`, `lena broadcast`",
        "  <person> got-it        click [Got it] on their newest message that waits for one",
        "  <person> answer N      tap option N of their newest pulse-check question",
        "  <person> home          open their Home tab in Slack",
        "  <person> click LABEL   click a button on their Home tab or in their DMs, e.g. `aiko click feedback`",
        "  dispatch               let time pass until every queued message is delivered",
        "  help                   this list",
        "  quit                   leave (so does Ctrl-D)",
        "When a modal opens (`lena broadcast`, `priya feedback`), fill it with `<number> <value>`, then `submit`.",
        f"Anything else after a person's name goes to Drumbeat: `<person> help` shows {command}'s own help.",
        "People:",
        *people,
    ]


def suggestions(sandbox: Sandbox) -> list[str]:
    """Examples that work as typed, from where the sandbox is now."""
    examples = ["marco summary 7d", "lena send qualify-before-you-invest to @aiko, West"]
    acknowledging = next((p for p in DEMO_PEOPLE if sandbox.has_got_it_button(p)), None)
    examples.append(f"{(acknowledging.handle if acknowledging else 'aiko')} got-it")
    examples += ["priya quiz me", "priya answer 2", "aiko home", "marco summary export", "lena broadcast",
                 "priya feedback", "dispatch", "help"]
    return examples


def interact(sandbox: Sandbox, read_line: Callable[[str], str]) -> None:
    out = sandbox.printer.out
    handles = ", ".join(person.handle for person in DEMO_PEOPLE)
    shown = ", ".join(f"`{example}`" for example in suggestions(sandbox))
    print(f"\nYour turn. Type `<person> <command text>`, e.g. {shown}, or `quit`.\nPeople: {handles}", file=out)
    while True:
        try:
            line = read_line(PROMPT).strip()
        except (EOFError, StopIteration):
            return
        if not line:
            continue
        if line in ("quit", "exit"):
            return
        if line in ("help", "?"):
            print("\n" + "\n".join(help_lines(sandbox)), file=out)
            continue
        if line == "dispatch":
            sandbox.dispatch()
            sandbox.fast_forward()
            continue
        handle, _, text = line.partition(" ")
        person = next((p for p in DEMO_PEOPLE if p.handle == handle.lower()), None)
        if person is None:
            print(f"Unknown person '{handle}'. People: {handles}; `help` lists what you can type.", file=out)
            continue
        act(sandbox, person, text.strip(), read_line)


def act(sandbox: Sandbox, person: DemoPerson, text: str, read_line: Callable[[str], str]) -> None:
    word, _, rest = text.partition(" ")
    if text == "got-it":
        sandbox.click_got_it(person)
    elif word == "answer":
        number = rest.strip()
        sandbox.tap_answer(person, int(number) - 1 if number.isdigit() else 0)
    elif text == "home":
        sandbox.home(person)
    elif word == "click" and rest.strip():
        sandbox.click_button(person, rest)
    else:
        sandbox.command(person, text)
        if word == "send":
            sandbox.dispatch()
            sandbox.fast_forward()
    if sandbox.open_modal(person) is not None:
        sandbox.fill_modal(person, read_line)
