"""The pipeline's tables: the strategy's rules (from content packs) and the deals imported from a CRM.

A deal's segment, industry, size band, region and offering are kept as the CRM wrote them (to show) and as a
*key* (case-folded, spaces collapsed) to compare with a rule's values in SQL, identically on SQLite and
PostgreSQL (SQLite's lower() folds ASCII only). Amounts are whole hundredths: ``amount_minor`` in the deal's own
currency, ``value_minor`` in the reporting currency (``DRUMBEAT_PIPELINE_CURRENCY``), which every sum uses.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import JSONType, utcnow


class RuleKind(StrEnum):
    """What a strategy rule looks at; every kind but OFFERING belongs to the ideal customer profile."""

    SEGMENT = "segment"
    INDUSTRY = "industry"
    SIZE = "size"
    REGION = "region"
    MINIMUM_AMOUNT = "minimum-amount"
    OFFERING = "offering"


PROFILE_KINDS: Final = (RuleKind.SEGMENT, RuleKind.INDUSTRY, RuleKind.SIZE, RuleKind.REGION, RuleKind.MINIMUM_AMOUNT)
#: The deal column each value rule compares with (its key column is the same name + "_key").
RULE_COLUMN: Final = {RuleKind.SEGMENT: "segment", RuleKind.INDUSTRY: "industry", RuleKind.SIZE: "size_band",
                      RuleKind.REGION: "region", RuleKind.OFFERING: "offering"}


class Outcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


def value_key(text: str | None) -> str | None:
    """How a rule value and a deal's value are compared: case-folded, inner spaces collapsed; empty is None."""
    if text is None:
        return None
    folded = " ".join(text.casefold().split())
    return folded or None


class StrategyRule(SQLModel, table=True):
    """A content pack's strategy rule, stored so SQL can classify deals and the coaching composer can cite it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=20)
    reason: str = Field(max_length=200)
    value_keys: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    minimum_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    pack: str = Field(default="default", max_length=80)
    active: bool = Field(default=True)  # False: no pack loaded at the last start defines it any more


class Deal(SQLModel, table=True):
    """One opportunity (Salesforce) or deal (HubSpot), upserted by its record id in its source."""

    __table_args__ = (
        UniqueConstraint("source", "record_id"),
        Index("ix_deal_owner_outcome", "owner_id", "outcome", "close_on"),  # open pipeline, won in a period
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40)  # "salesforce", "hubspot", or what --source named
    record_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=255)
    owner_id: int = Field(foreign_key="person.id")
    account: str | None = Field(default=None, max_length=255)
    segment: str | None = Field(default=None, max_length=120)
    segment_key: str | None = Field(default=None, max_length=120)
    industry: str | None = Field(default=None, max_length=120)
    industry_key: str | None = Field(default=None, max_length=120)
    size_band: str | None = Field(default=None, max_length=120)
    size_band_key: str | None = Field(default=None, max_length=120)
    employees: int | None = Field(default=None)  # a size given as a head count: matched by bands like "1000-4999"
    region: str | None = Field(default=None, max_length=120)
    region_key: str | None = Field(default=None, max_length=120)
    offering: str | None = Field(default=None, max_length=120)
    offering_key: str | None = Field(default=None, max_length=120)
    amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str | None = Field(default=None, max_length=3)
    value_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    stage: str | None = Field(default=None, max_length=80)
    outcome: str = Field(default=Outcome.OPEN, max_length=8)
    close_on: date | None = Field(default=None)
    created_on: date  # the CRM's created date, or the day Drumbeat first saw the deal
    # The rep's own word that this off-strategy deal is so on purpose (a longer-term opportunity, a reference).
    deliberate_reason: str | None = Field(default=None, max_length=300)
    imported_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields if name != "id"}


class CrmPull(SQLModel, table=True):
    """Where the scheduled pull from a CRM's API stands: deals modified up to `through` are imported, so the next
    pull asks only for those modified after it (its cost follows the changes, not the CRM's size)."""

    source: str = Field(primary_key=True, max_length=40)  # "hubspot"
    through: datetime | None = Field(default=None)  # the newest modification time imported (the CRM's clock)
    pulled_at: datetime | None = Field(default=None)  # the last pull that ran, whatever its outcome
    outcome: str = Field(default="", max_length=1000)  # what it did, or why nothing was imported
