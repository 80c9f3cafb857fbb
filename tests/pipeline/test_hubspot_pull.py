"""The scheduled pull from HubSpot, through HubSpot's own client against a loopback fake of its endpoints
(bot/emulators/crm/hubspot.py), on SQLite and PostgreSQL: only what changed since the last pull is asked for and
upserted, through the same checks as a file (a bad deal: nothing imported, the cursor unmoved), and a rep's
deliberate mark survives. The organisation is tests/pipeline/org.py's (Aiko and Ben in East, Chen in West).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.cli import main
from bot.core import deal_marks
from bot.core.pipeline_import import ImportOptions, PipelineImportError
from bot.core.pipeline_pull import pull_deals, record_failure
from bot.crm.hubspot import HubSpotSource
from bot.crm.sources import crm_source
from bot.emulators.crm.hubspot import OWNERS, SEARCH, FakeHubSpot
from bot.settings import settings_from_mapping
from storage.db import session_scope
from storage.deals import CrmPull, Deal
from storage.models import Person
from tests.pipeline.org import NOW, make_org

OPTIONS = ImportOptions(currency="USD")
PROPERTIES = {"segment": "segment", "industry": "industry", "region": "region", "offering": "product",
              "deliberate": "off_strategy_reason"}


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        fake.owners.update({"101": "aiko@example.com", "102": "chen@example.com", "103": "stranger@example.com"})
        fake.put_deal("9001", dealname="Nordclinic", hubspot_owner_id="102", amount="22000", segment="Enterprise",
                      industry="Healthcare", region="EMEA", product="Analytics Cloud", dealstage="contractsent",
                      closedate="2027-01-20T00:00:00Z", hs_is_closed_won="false", hs_is_closed="false")
        fake.put_deal("9002", dealname="Sydney pilot", hubspot_owner_id="102", amount="55000", segment="SMB",
                      industry="Retail", region="APAC", product="Core Suite", dealstage="appointmentscheduled",
                      hs_is_closed_won="false", hs_is_closed="false")
        fake.put_deal("9003", dealname="Vita renewal", hubspot_owner_id="101", amount="40000", segment="Enterprise",
                      dealstage="closedwon", closedate="2026-11-30T10:00:00Z", hs_is_closed_won="true",
                      hs_is_closed="true")
        yield fake


def source(fake: FakeHubSpot, page: int = 100, token: str | None = None) -> HubSpotSource:
    return HubSpotSource(token=token or fake.token, api_url=fake.url, properties=PROPERTIES, page=page)


def pull(engine: Engine, fake: FakeHubSpot, **how: object):  # noqa: ANN201 - PullOutcome
    with session_scope(engine) as session:
        return pull_deals(session, source(fake, **how), options=OPTIONS, now=NOW)  # type: ignore[arg-type]


def deals(engine: Engine) -> dict[str, Deal]:
    with session_scope(engine) as session:
        rows = list(session.execute(select(Deal)).scalars())
        session.expunge_all()
    return {row.record_id: row for row in rows}


def cursor(engine: Engine) -> CrmPull | None:
    with session_scope(engine) as session:
        found = session.get(CrmPull, "hubspot")
        if found is not None:
            session.expunge(found)
        return found


def test_the_first_pull_imports_every_deal_through_the_import_checks(engine: Engine, hubspot: FakeHubSpot) -> None:
    org = make_org(engine)
    outcome = pull(engine, hubspot, page=2)  # two pages of search results
    assert outcome.report is not None
    assert outcome.report.summary() == "3 deals from hubspot: 3 created, 0 updated, 0 unchanged"
    stored = deals(engine)
    assert (stored["9001"].owner_id, stored["9001"].value_minor, stored["9001"].offering_key) == (
        org.chen, 2_200_000, "analytics cloud")
    assert (stored["9003"].outcome, str(stored["9003"].close_on), stored["9003"].owner_id) == (
        "won", "2026-11-30", org.aiko)
    assert len(hubspot.calls(SEARCH)) == 2 and len(hubspot.calls(OWNERS)) == 2  # 3 of each, 2 a page
    assert cursor(engine).through == outcome.through  # type: ignore[union-attr]


def test_a_pull_asks_only_for_what_changed_and_an_idle_pull_is_one_request(engine: Engine, hubspot: FakeHubSpot) -> None:
    make_org(engine)
    pull(engine, hubspot)
    before = len(hubspot.requests)
    idle = pull(engine, hubspot)
    assert idle.report is None and len(hubspot.requests) == before + 1  # one search, no owners
    assert cursor(engine).outcome == "nothing changed"  # type: ignore[union-attr]

    hubspot.put_deal("9002", dealstage="closedwon", hs_is_closed_won="true", hs_is_closed="true",
                     closedate="2026-12-02T00:00:00Z")
    changed = pull(engine, hubspot)
    assert changed.report is not None and changed.report.summary() == (
        "1 deal from hubspot: 0 created, 1 updated, 0 unchanged")
    assert hubspot.calls(SEARCH)[-1].body["filterGroups"][0]["filters"][0]["operator"] == "GT"
    assert deals(engine)["9002"].outcome == "won"


def test_a_bad_deal_imports_nothing_and_the_next_pull_asks_again(engine: Engine, hubspot: FakeHubSpot) -> None:
    make_org(engine)
    pull(engine, hubspot)
    through = cursor(engine).through  # type: ignore[union-attr]
    hubspot.put_deal("9001", amount="a lot")
    hubspot.put_deal("9004", dealname="Unknown rep's deal", hubspot_owner_id="103", amount="1000")
    with pytest.raises(PipelineImportError) as refused, session_scope(engine) as session:
        pull_deals(session, source(hubspot), options=OPTIONS, now=NOW)
    assert "deal 9001: amount 'a lot' is not a number" in str(refused.value)  # the rows' checks first, as a file's
    record_failure(lambda: session_scope(engine), "hubspot", NOW, refused.value)
    assert "9004" not in deals(engine) and deals(engine)["9001"].value_minor == 2_200_000
    kept = cursor(engine)
    assert kept is not None and kept.through == through and kept.outcome.startswith("nothing imported:")

    hubspot.put_deal("9001", amount="23000")
    with pytest.raises(PipelineImportError, match="deal 9004: owner 'stranger@example.com' is nobody in the directory"):
        pull(engine, hubspot)
    hubspot.put_deal("9004", hubspot_owner_id="101")
    again = pull(engine, hubspot)
    assert again.report is not None and (again.report.created, again.report.updated) == (1, 1)


def test_a_chat_mark_survives_pulls_unless_the_crm_gives_a_reason(engine: Engine, hubspot: FakeHubSpot) -> None:
    org = make_org(engine)
    pull(engine, hubspot)
    with session_scope(engine) as session:
        chen = session.get(Person, org.chen)
        assert chen is not None
        deal_marks.mark_deliberate(session, caller=chen, now=NOW, record="9002", reason="Chosen in chat")
    hubspot.put_deal("9002", amount="56000")  # changed, its reason property empty
    pull(engine, hubspot)
    assert deals(engine)["9002"].deliberate_reason == "Chosen in chat"
    hubspot.put_deal("9002", off_strategy_reason="Reference for APAC")
    pull(engine, hubspot)
    assert deals(engine)["9002"].deliberate_reason == "Reference for APAC"


def test_a_wrong_token_is_refused_by_hubspot_and_imports_nothing(engine: Engine, hubspot: FakeHubSpot) -> None:
    make_org(engine)
    with pytest.raises(Exception, match="401"):
        pull(engine, hubspot, token="pat-na1-wrong")
    assert deals(engine) == {} and cursor(engine) is None


def test_the_settings_name_the_source_and_its_properties(hubspot: FakeHubSpot) -> None:
    settings = settings_from_mapping({"HUBSPOT_ACCESS_TOKEN": hubspot.token, "HUBSPOT_API_URL": hubspot.url,
                                      "HUBSPOT_DEAL_PROPERTIES": "segment=segment, offering=product"})
    found = crm_source(settings)
    assert isinstance(found, HubSpotSource) and found.properties == {"segment": "segment", "offering": "product"}
    assert crm_source(settings_from_mapping({})) is None
    assert settings.crm_pull_minutes == 60


def test_the_scheduled_job_pulls_and_keeps_why_a_pull_imported_nothing(engine: Engine, hubspot: FakeHubSpot,
                                                                        database_url: str, tmp_path: Path) -> None:
    org = make_org(engine)
    settings = settings_from_mapping({
        "DATABASE_URL": database_url, "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key"),
        "HUBSPOT_ACCESS_TOKEN": hubspot.token, "HUBSPOT_API_URL": hubspot.url,
        "HUBSPOT_DEAL_PROPERTIES": ",".join(f"{field}={prop}" for field, prop in PROPERTIES.items())})
    running = Drumbeat(settings, engine=engine, clock=lambda: NOW, platforms=[])
    try:
        first = running.pull_crm_now()
        assert first is not None and first.report is not None and first.report.created == 3
        hubspot.put_deal("9003", hubspot_owner_id="103")  # an owner nobody in the directory is
        assert running.pull_crm_now() is None  # refused, logged and kept; nothing raised into the scheduler
        kept = cursor(engine)
        assert kept is not None and "deal 9003: owner 'stranger@example.com' is nobody" in kept.outcome
        assert kept.through == first.through and deals(engine)["9003"].owner_id == org.aiko
    finally:
        running.close()


def test_drumbeat_pipeline_pull_runs_one_pull_now(engine: Engine, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    make_org(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "HUBSPOT_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--env-file", os.devnull, "pipeline", "pull"]) == 2
    assert "set HUBSPOT_ACCESS_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("HUBSPOT_API_URL", hubspot.url)
    monkeypatch.setenv("HUBSPOT_DEAL_PROPERTIES", "segment=segment,offering=product")
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-wrong")
    assert main(["--env-file", os.devnull, "pipeline", "pull"]) == 1
    assert "pulling from hubspot failed" in capsys.readouterr().err
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", hubspot.token)
    assert main(["--env-file", os.devnull, "pipeline", "pull"]) == 0
    assert capsys.readouterr().out == "Pulled from hubspot: 3 deals from hubspot: 3 created, 0 updated, 0 unchanged.\n"
    assert main(["--env-file", os.devnull, "pipeline", "pull"]) == 0
    assert capsys.readouterr().out == "Pulled from hubspot: nothing changed.\n"
