"""Apply Alembic migrations programmatically, so `drumbeat db upgrade`, start-up and tests share one path.

Every start calls `upgrade`. When the database is already at the migrations' head (every restart), that is
known from one SELECT and the migration files' own `revision` lines, and Alembic is not even imported: it
pulls in mako and pygments, about half a second of a start that should take under 1.5 s (issue 13).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*['\"]?(\w+)['\"]?", re.MULTILINE)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


# Told after each migration step: its revision, its message (the migration's docstring line), seconds it took.
StepApplied = Callable[[str, str, float], None]


def upgrade(engine: Engine, revision: str = "head", *, on_step: StepApplied | None = None) -> None:
    """Bring the database schema up to `revision`; a no-op when it is already there."""
    if revision == "head" and (head := script_head()) is not None and stored_revision(engine) == head:
        return
    from alembic import command

    config = alembic_config(engine)
    if on_step is not None:
        config.attributes["on_version_apply"] = _timed(on_step)
    command.upgrade(config, revision)


def _timed(on_step: StepApplied) -> Callable[..., None]:
    """Alembic's on_version_apply hook (called after each step), with the time since the previous step."""
    last = [time.perf_counter()]

    def applied(*, step: Any, **_: Any) -> None:
        now = time.perf_counter()
        revision = step.up_revision
        doc = str(revision.doc or "").strip()
        on_step(str(revision.revision), doc.splitlines()[0] if doc else "", now - last[0])
        last[0] = now

    return applied


def pending_revisions(engine: Engine) -> list[str]:
    """The migrations `upgrade` would apply, oldest first (none when the database is at head)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    current = stored_revision(engine)
    return [rev.revision for rev in reversed(list(script.iterate_revisions("head", current or "base")))]


def script_head() -> str | None:
    """The one head of the migration files, read from their `revision` / `down_revision` lines without
    Alembic; None when that is not one clear head (Alembic then decides, as always)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision", "None") != "None":
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, from one SELECT; None for a new database (or several rows)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no alembic_version table yet
        return None
    return rows[0] if len(rows) == 1 else None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
