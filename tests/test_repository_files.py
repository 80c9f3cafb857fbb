"""What a fresh clone must hold on its own: the licence pyproject.toml declares, links that resolve, and help
texts that make sense to someone who never read the project's issues."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_file_is_the_one_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]["text"]
    text = (ROOT / "LICENSE").read_text()
    assert declared == "MIT"
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 Drumbeat contributors" in text
    assert "Permission is hereby granted, free of charge" in text


def test_every_relative_link_in_the_readme_and_docs_exists_in_the_clone() -> None:
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        prose = re.sub(r"`[^`\n]*`", "", document.read_text())  # code spans show link syntax, they do not link
        for target in re.findall(r"\]\(([^)#\s]+)[^)]*\)", prose):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (document.parent / target).exists(), f"{document.name} links {target}, which is not in the clone"
        assert "../shared/" not in document.read_text(), f"{document.name} points outside the repository"


def test_the_readme_links_the_design_document() -> None:
    assert "](docs/design.md)" in (ROOT / "README.md").read_text()
    assert (ROOT / "docs" / "design.md").read_text().startswith("# Drumbeat")


def test_the_summary_bench_help_explains_itself_without_the_issue_tracker() -> None:
    shown = subprocess.run([sys.executable, str(ROOT / "bench" / "summary.py"), "--help"], capture_output=True,
                           text=True, timeout=60, check=True).stdout
    assert "the issue" not in shown
    assert "under 300 ms on PostgreSQL" in shown
