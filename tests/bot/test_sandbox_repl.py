"""The sandbox's prompt shows everything Drumbeat does: modals filled from the prompt, the Home tab, files,
its own help, and suggested examples that work as typed. Each test drives the REPL with scripted lines."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sandbox import FORM_PROMPT, Sandbox, drumbeat_command, run_sandbox
from bot.sandbox_repl import suggestions
from bot.settings import settings_from_mapping

TUESDAY_AFTERNOON_UTC = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York, everyone else at work or not
FAILURES = ("Unknown person", "nothing to acknowledge", "no pulse-check question", "did not respond",
            "Not an input of this modal", "Traceback")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(settings_from_mapping({}), database=str(tmp_path / "sandbox.db"), out=io.StringIO(),
                  start=TUESDAY_AFTERNOON_UTC)
    try:
        yield box
    finally:
        box.close()


def script(lines: list[str], *, in_forms: list[str] | None = None) -> Callable[[str], str]:
    """A reader for `interact`: `lines` at the sandbox prompt; at a modal's prompt, `in_forms` in turn."""
    main, forms = iter(lines), iter(in_forms or [])

    def read(prompt: str) -> str:
        if prompt == FORM_PROMPT:
            return next(forms, "cancel")
        return next(main)

    return read


def run(box: Sandbox, lines: list[str], **kwargs: list[str]) -> str:
    box.interact(script(lines, **kwargs))
    out = box.printer.out
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def test_help_alone_lists_the_sandboxs_own_commands_and_its_people(sandbox: Sandbox) -> None:
    text = run(sandbox, ["help", "quit"])
    assert "Unknown person" not in text
    assert "<person> home" in text and "<person> got-it" in text and "dispatch" in text
    assert "lena   Lena Okafor (leader" in text and "priya  Priya Shah (rep, East, Asia/Kolkata)" in text


def test_every_suggested_example_works_as_typed_after_the_demo(sandbox: Sandbox) -> None:
    sandbox.demo()
    examples = suggestions(sandbox)
    before = len(sandbox.printer.out.getvalue())  # type: ignore[attr-defined]
    text = run(sandbox, [*examples, "quit"])[before:]
    for failure in FAILURES:
        assert failure not in text, f"a suggested example failed ({failure}):\n{text}"
    shown = text.split("Your turn.", 1)[1].split("\n", 1)[0]
    assert all(f"`{example}`" in shown for example in examples)
    assert "clicks: [Got it]" in text
    assert "Home tab" in text and "receives a file" in text and "sees a modal" in text
    assert "Sandbox commands" in text


def test_a_leader_fills_the_broadcast_modal_sees_field_errors_then_sends(sandbox: Sandbox) -> None:
    text = run(sandbox, ["lena broadcast", "quit"],
               in_forms=["submit", "message qualify-before-you-invest", "people @sam", "submit"])
    assert "Lena Okafor sees a modal:" in text
    assert "+-- New broadcast" in text
    assert "[1] A message from the library (static select, optional)" in text
    assert "[Schedule] / [Cancel]" in text
    assert "Drumbeat points at what to fix" in text
    assert "[3] Message: ! Pick a message from the library or write a new one." in text
    assert "[4] People: ! Say who should get it" in text
    assert "Lena Okafor's modal changes:" in text and "Preview for you:" in text  # a pick updates the modal
    assert "Lena Okafor (leader) clicks: [Schedule]" in text
    assert "Sam Carter, new DM from Drumbeat" in text


def test_a_rep_gives_feedback_through_the_modal(sandbox: Sandbox) -> None:
    text = run(sandbox, ["priya feedback", "quit"],
               in_forms=["nonsense 1", "submit", "start Weekly deal reviews", "about 2", "submit"])
    assert "Priya Shah sees a modal:" in text and "+-- Stop, start, continue" in text
    assert "1. The strategy" in text and "2. Our team's way of working" in text  # a radio input's options
    assert "Not an input of this modal: 'nonsense'" in text
    assert "Drumbeat points at what to fix" in text  # nothing written: the bot's own error, next to an input
    assert "Start: what should start?: Weekly deal reviews" in text and "It is about: Our team's way of working" in text
    assert text.count("Priya Shah (rep) clicks: [Send feedback]") == 2
    assert text.count("Priya Shah sees a modal:") >= 2  # the thank-you that replaces the form


def test_the_home_tab_is_shown_and_its_buttons_can_be_clicked(sandbox: Sandbox) -> None:
    text = run(sandbox, ["aiko home", "aiko click feedback", "aiko click nothing-like-this", "quit"])
    assert "Aiko Tanaka (rep) opens: the Home tab" in text
    assert "Aiko Tanaka, Home tab (Asia/Tokyo" in text and "HI AIKO!" in text
    assert "Aiko Tanaka (rep) clicks: [Give stop / start / continue feedback]" in text
    assert "+-- Stop, start, continue" in text  # the button opens the feedback modal, shown like any other
    assert "Aiko Tanaka has no button 'nothing-like-this'" in text


def test_a_csv_export_is_shown_under_its_own_command_and_saved(sandbox: Sandbox) -> None:
    text = run(sandbox, ["marco summary export", "marco summary 7d", "quit"])
    export, after = text.split("Marco Rossi (manager) types: /drumbeat summary 7d", 1)
    assert "Marco Rossi receives a file:" in export and "receives a file" not in after
    saved = Path(export.split("saved as ", 1)[1].split("\n", 1)[0])
    assert saved.exists() and saved.parent == sandbox.files_dir
    first_row = saved.read_text().splitlines()[0]
    assert f"     | {first_row}" in export


def test_the_end_hint_names_a_command_that_exists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_sandbox(settings_from_mapping({}), database=str(tmp_path / "s.db"), interactive=False) == 0
    command = drumbeat_command()
    assert f"Run `{command} sandbox` in a terminal" in capsys.readouterr().out
    assert Path(command).exists() or shutil.which(command)


def test_the_sandbox_says_it_does_not_use_a_database_url_that_was_set(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_from_mapping({"DATABASE_URL": "postgresql://drumbeat:s3cret@db.internal:5432/drumbeat"})
    assert run_sandbox(settings, database=str(tmp_path / "s.db"), interactive=False) == 0
    shown = capsys.readouterr().out
    assert "the DATABASE_URL you set is not used" in shown and str(tmp_path / "s.db") in shown
    assert "s3cret" not in shown and "db.internal" not in shown
