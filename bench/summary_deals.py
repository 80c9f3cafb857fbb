"""The pipeline part of bench/summary.py: a strategy in a content pack and 40 deals per rep (200,000 on 200 teams).

Each team's deals come from its own random stream (like every other table in that benchmark), so Team 000 has
the same pipeline in every data set; rows are loaded with the benchmark's Loader (COPY / executemany), ids given.
Values are drawn so about half the deals meet the profile and a third the offering rule, a fifth are won or
lost, some off-strategy ones are marked deliberate, and created / close dates spread over the half year.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from bot.core.content import sync_pack
from messages.library import load_pack
from storage.db import session_scope
from storage.deals import Deal, value_key

DEALS_PER_REP = 40
STRATEGY_PACK = """\
pack: bench-strategy
version: 1
strategy_rules:
  - {id: icp-segment, kind: segment, values: [Enterprise, Mid-Market], reason: "Where we win and renew."}
  - {id: icp-industry, kind: industry, values: [Financial Services, Healthcare, Manufacturing], reason: "Our references."}
  - {id: icp-region, kind: region, values: [EMEA, North America], reason: "Where delivery is staffed."}
  - {id: icp-size, kind: size, values: ["1000-4999", "5000+"], reason: "Big enough to need us."}
  - {id: deal-size, kind: minimum-amount, minimum: 20000, reason: "Below this the effort is not repaid."}
  - {id: priority-offering, kind: offering, values: [Analytics Cloud], reason: "The new offer."}
"""
SEGMENTS = ("Enterprise", "Mid-Market", "SMB")
INDUSTRIES = ("Financial Services", "Healthcare", "Manufacturing", "Retail", "Public Sector")
REGIONS = ("EMEA", "North America", "APAC")
OFFERINGS = ("Analytics Cloud", "Core Suite", "Services")
COLUMNS = ("id", "source", "record_id", "name", "owner_id", "account", "segment", "segment_key", "industry",
           "industry_key", "employees", "region", "region_key", "offering", "offering_key", "amount_minor",
           "currency", "value_minor", "stage", "outcome", "close_on", "created_on", "deliberate_reason",
           "imported_at", "updated_at")


def seed_strategy(engine: Engine) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "strategy.yaml"
        path.write_text(STRATEGY_PACK, encoding="utf-8")
        with session_scope(engine) as session:
            sync_pack(session, load_pack(path))


def _deal(rng: random.Random, deal_id: int, owner: int, now: datetime, history: timedelta) -> tuple[Any, ...]:
    segment, industry = rng.choice(SEGMENTS), rng.choice(INDUSTRIES)
    region, offering = rng.choice(REGIONS), rng.choice(OFFERINGS)
    amount = rng.randrange(5_000, 250_000) * 100
    created = (now - timedelta(days=rng.randrange(history.days))).date()
    outcome = rng.choices(("open", "won", "lost"), weights=(80, 12, 8))[0]
    close = created + timedelta(days=rng.randrange(10, 120))
    if outcome != "open":
        close = min(close, now.date())
    deliberate = "Reference account" if outcome == "open" and rng.random() < 0.05 else None
    return (deal_id, "salesforce", f"006{deal_id:012d}", f"Deal {deal_id}", owner, f"Account {deal_id % 9973}",
            segment, value_key(segment), industry, value_key(industry), rng.choice((200, 1500, 8000)), region,
            value_key(region), offering, value_key(offering), amount, "USD", amount, "Stage", outcome, close,
            created, deliberate, now, now)


def deal_rows(team_reps: Sequence[Sequence[int]], now: datetime, history: timedelta,
              team_rng: Callable[[str, int], random.Random]) -> Iterator[tuple[Any, ...]]:
    deal_id = 1
    for index, reps in enumerate(team_reps):
        rng = team_rng("deals", index)
        for rep in reps:
            for _ in range(DEALS_PER_REP):
                yield _deal(rng, deal_id, rep, now, history)
                deal_id += 1


def seed_deals(loader: Any, reps: Mapping[int, list[int]], team_ids: Sequence[int], now: datetime,
               history: timedelta, team_rng: Callable[[str, int], random.Random]) -> Table:
    """The strategy, then every team's deals; returns the table (for the caller's sequence fix)."""
    seed_strategy(loader.engine)
    table: Table = Deal.__table__  # type: ignore[attr-defined]
    loader.load(table, COLUMNS, deal_rows([reps[team_id] for team_id in team_ids], now, history, team_rng))
    return table


