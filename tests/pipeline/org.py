"""The small organisation, strategy and CRM exports the pipeline tests share (their figures follow from these).

Strategy (tests/pipeline/strategy.yaml): profile = segment Enterprise or Mid-Market, industry Financial Services
or Healthcare, region EMEA, at least 20,000; offering = Analytics Cloud. Reporting currency USD.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.core.content import sync_pack
from bot.core.pipeline_import import ImportOptions, PipelineReport, import_pipeline
from messages.library import load_pack
from storage.db import session_scope
from storage.models import Role, Team
from tests.people import add_person

STRATEGY = Path(__file__).with_name("strategy.yaml")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

# A Salesforce opportunity report ("Details Only" CSV), with a custom Segment and Region field added.
SALESFORCE_CSV = textwrap.dedent("""\
    Opportunity ID,Opportunity Name,Owner Email,Account Name,Segment,Industry,Region,Product Family,Amount,Opportunity Currency,Stage,Won,Closed,Close Date,Created Date
    006A1,Acme analytics,aiko@example.com,Acme Bank,Enterprise,Financial Services,EMEA,Analytics Cloud,"100,000.00",USD,Proposal/Price Quote,0,0,2027-01-31,2026-11-01
    006A2,Helios core,aiko@example.com,Helios Clinics,Enterprise,Healthcare,EMEA,Core Suite,50000,USD,Negotiation/Review,0,0,2027-02-15,2026-11-01
    006A3,Shopco analytics,aiko@example.com,Shopco,SMB,Retail,EMEA,Analytics Cloud,30000,USD,Qualification,0,0,2027-01-15,2026-11-10
    006A4,Kiosk core,aiko@example.com,Kiosk Ltd,SMB,Retail,APAC,Core Suite,20000,USD,Prospecting,0,0,2027-03-01,2026-11-25
    006A5,Medix small,aiko@example.com,Medix,Mid-Market,Healthcare,EMEA,Core Suite,10000,USD,Closed Won,1,1,2026-11-20,2026-10-01
    006B1,Mart core,ben@example.com,Mart Inc,Enterprise,Retail,NA,Core Suite,80000,USD,Needs Analysis,0,0,2027-02-01,2026-11-15
    006B2,Fin analytics,ben@example.com,Fin Trust,Enterprise,Financial Services,EMEA,Analytics Cloud,40000,USD,Closed Won,1,1,2026-11-25,2026-10-15
    006B3,Corner shop,ben@example.com,Corner,SMB,Retail,NA,Core Suite,60000,USD,Closed Lost,0,1,2026-11-28,2026-10-20
""")

# A HubSpot deals export (all properties trimmed to these), the owner as HubSpot writes it, amounts in EUR.
HUBSPOT_CSV = textwrap.dedent("""\
    Record ID,Deal Name,Deal owner,Associated Company,Segment,Industry,Region,Product,Amount,Currency,Deal Stage,Close Date,Create Date,Is Closed Won,Off-Strategy Reason
    9001,Nordclinic,Chen Wu (chen@example.com),Nordclinic,Enterprise,Healthcare,EMEA,Analytics Cloud,20000,EUR,Contract Sent,2027-01-20 00:00,2026-11-05 09:30,false,
    9002,Sydney pilot,Chen Wu (chen@example.com),Harbour Retail,SMB,Retail,APAC,Core Suite,50000,EUR,Appointment Scheduled,2027-02-20 00:00,2026-11-12 10:00,false,Reference customer for the APAC launch
    9003,Vita renewal,Chen Wu (chen@example.com),Vita Care,Enterprise,Healthcare,EMEA,Core Suite,40000,USD,Closed Won,2026-11-30 00:00,2026-10-01 08:00,true,
""")
RATES = {"EUR": Decimal("1.10")}


@dataclass(frozen=True)
class Org:
    east: int
    west: int
    maria: int  # East's manager
    wendy: int  # West's manager
    aiko: int
    ben: int
    chen: int
    lena: int  # a leader


def make_org(engine: Engine) -> Org:
    with session_scope(engine) as session:
        sync_pack(session, load_pack(STRATEGY))
        east, west = Team(name="East"), Team(name="West")
        session.add_all([east, west])
        session.flush()
        lena = add_person(session, "U0LEADER", name="Lena Okafor", role=Role.LEADER, email="lena@example.com")
        maria = add_person(session, "U0MGREAST", name="Maria Silva", role=Role.MANAGER, team_id=east.id,
                           email="maria@example.com", manager_id=lena.id)
        wendy = add_person(session, "U0MGRWEST", name="Wendy Park", role=Role.MANAGER, team_id=west.id,
                           email="wendy@example.com", manager_id=lena.id)
        aiko = add_person(session, "U0AIKO", name="Aiko Tanaka", role=Role.REP, team_id=east.id,
                          email="aiko@example.com", manager_id=maria.id)
        ben = add_person(session, "U0BEN", name="Ben Adams", role=Role.REP, team_id=east.id,
                         email="Ben@Example.com", manager_id=maria.id)
        chen = add_person(session, "U0CHEN", name="Chen Wu", role=Role.REP, team_id=west.id,
                          email="chen@example.com", manager_id=wendy.id)
        ids = [east.id, west.id, maria.id, wendy.id, aiko.id, ben.id, chen.id, lena.id]
    return Org(*ids)  # type: ignore[arg-type]


def import_both(engine: Engine) -> tuple[PipelineReport, PipelineReport]:
    with session_scope(engine) as session:
        salesforce = import_pipeline(session, SALESFORCE_CSV, ImportOptions(preset="salesforce"))
        hubspot = import_pipeline(session, HUBSPOT_CSV, ImportOptions(preset="hubspot", rates=RATES))
    return salesforce, hubspot
