"""The README's two commands are the product's front door; CI must run exactly the test one."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.org import import_org_csv
from bot.platforms import USER_ID_FORMATS

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_readme_opens_with_a_run_command_and_a_test_command() -> None:
    run, test = readme_commands()
    assert run.endswith(".venv/bin/drumbeat")
    assert "pytest" in test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    declared = re.search(r"^TEST_COMMAND='(.+)'$", ci, re.MULTILINE)
    assert declared is not None
    assert declared.group(1) == readme_commands()[1]


def test_env_example_lists_every_setting_the_code_reads() -> None:
    settings_source = (ROOT / "bot" / "settings.py").read_text()
    read = set(re.findall(r'"((?:SLACK|DRUMBEAT|DATABASE|LOG|PORT|HOST)[A-Z_]*)"', settings_source))
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_every_org_file_in_the_readme_imports_cleanly(engine: Engine) -> None:
    """The org examples are what admins copy first: each must import as written, with every person."""
    examples = re.findall(r"```csv\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert len(examples) >= 2
    for example in examples:
        with Session(engine) as session:
            report = import_org_csv(session, example, formats=USER_ID_FORMATS)
            session.rollback()
        assert report.created == len(example.strip().splitlines()) - 1
