"""`drumbeat pipeline import`: CRM exports upserted by record id, all or nothing, every bad row by its line."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.core.errors import BadInput
from bot.core.pipeline_import import ImportOptions, PipelineImportError, import_pipeline, parse_rates
from storage.db import session_scope
from storage.deals import Deal
from tests.pipeline.org import HUBSPOT_CSV, RATES, SALESFORCE_CSV, import_both, make_org


def deals(engine: Engine) -> dict[str, Deal]:
    with session_scope(engine) as session:
        rows = session.execute(select(Deal)).scalars().all()
        session.expunge_all()
    return {row.record_id: row for row in rows}


def test_salesforce_and_hubspot_exports_import_with_their_own_headers(engine: Engine) -> None:
    org = make_org(engine)
    salesforce, hubspot = import_both(engine)
    assert salesforce.summary() == "8 deals from salesforce: 8 created, 0 updated, 0 unchanged"
    assert hubspot.summary() == "3 deals from hubspot: 3 created, 0 updated, 0 unchanged"
    stored = deals(engine)
    acme = stored["006A1"]
    assert (acme.source, acme.owner_id, acme.account, acme.amount_minor, acme.value_minor) == (
        "salesforce", org.aiko, "Acme Bank", 10_000_000, 10_000_000)
    assert (acme.outcome, str(acme.close_on), str(acme.created_on), acme.industry_key) == (
        "open", "2027-01-31", "2026-11-01", "financial services")
    assert stored["006B1"].owner_id == org.ben  # Ben@Example.com in the directory, ben@example.com in the CRM
    assert stored["006B2"].outcome == "won" and stored["006B3"].outcome == "lost"
    nord, pilot, vita = stored["9001"], stored["9002"], stored["9003"]
    assert nord.owner_id == org.chen and (nord.amount_minor, nord.currency, nord.value_minor) == (2_000_000, "EUR",
                                                                                                  2_200_000)
    assert pilot.deliberate_reason == "Reference customer for the APAC launch"
    assert vita.outcome == "won" and vita.value_minor == 4_000_000 and str(vita.created_on) == "2026-10-01"


def test_importing_the_same_export_again_changes_nothing_and_a_changed_row_is_one_update(engine: Engine) -> None:
    make_org(engine)
    import_both(engine)
    with session_scope(engine) as session:
        again = import_pipeline(session, SALESFORCE_CSV, ImportOptions(preset="salesforce"))
        changed = import_pipeline(session, SALESFORCE_CSV.replace("Qualification", "Closed Won").replace(
            "Shopco analytics,aiko@example.com,Shopco,SMB,Retail,EMEA,Analytics Cloud,30000,USD,Closed Won,0,0",
            "Shopco analytics,aiko@example.com,Shopco,SMB,Retail,EMEA,Analytics Cloud,30000,USD,Closed Won,1,1"),
            ImportOptions(preset="salesforce"))
    assert again.summary() == "8 deals from salesforce: 0 created, 0 updated, 8 unchanged"
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 7)
    stored = deals(engine)
    assert len(stored) == 11 and stored["006A3"].outcome == "won"


def test_a_deliberate_mark_stays_when_the_export_has_no_reason_column(engine: Engine) -> None:
    make_org(engine)
    import_both(engine)
    without = "\n".join(line.rsplit(",", 1)[0] for line in HUBSPOT_CSV.splitlines()) + "\n"
    with session_scope(engine) as session:
        report = import_pipeline(session, without, ImportOptions(preset="hubspot", rates=RATES))
    assert report.unchanged == 3
    assert deals(engine)["9002"].deliberate_reason == "Reference customer for the APAC launch"


def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(engine: Engine) -> None:
    make_org(engine)
    lines = SALESFORCE_CSV.splitlines()
    lines[1] = lines[1].replace("aiko@example.com", "nobody@example.com")
    lines[2] = lines[2].replace("50000", "fifty thousand")
    lines[3] = lines[3].replace("2027-01-15", "2027-13-45")
    lines[4] = lines[4].replace("006A4", "006A1")
    with session_scope(engine) as session, pytest.raises(PipelineImportError) as caught:
        import_pipeline(session, "\n".join(lines), ImportOptions(preset="salesforce"))
    assert caught.value.problems == [
        "line 3: amount 'fifty thousand' is not a number (write it like 125000 or 125,000.00)",
        "line 4: close date '2027-13-45' is not a date (write YYYY-MM-DD or MM/DD/YYYY)",
        "line 5: record id 006A1 appears again (first on line 2)",
    ]
    lines[2], lines[3], lines[4] = SALESFORCE_CSV.splitlines()[2:5]
    with session_scope(engine) as session, pytest.raises(PipelineImportError) as caught:
        import_pipeline(session, "\n".join(lines), ImportOptions(preset="salesforce"))
    assert caught.value.problems == ["line 2: owner 'nobody@example.com' is nobody in the directory (add them with "
                                     "`drumbeat org import`, or fix the email)"]
    assert deals(engine) == {}


def test_amounts_in_another_currency_are_refused_without_a_rate_for_it(engine: Engine) -> None:
    make_org(engine)
    with session_scope(engine) as session, pytest.raises(PipelineImportError) as caught:
        import_pipeline(session, HUBSPOT_CSV, ImportOptions(preset="hubspot"))
    assert caught.value.problems == ["lines 2, 3: amounts in EUR, but pipeline figures are in USD "
                                     "(DRUMBEAT_PIPELINE_CURRENCY); give --rates FILE with a line EUR,RATE"]
    assert deals(engine) == {}


def test_any_other_export_imports_with_explicit_mapping_and_owner_by_chat_user_id(engine: Engine) -> None:
    org = make_org(engine)
    text = ("Deal #,Rep,Vertical,Value,Status,Opened\n"
            "P-1,U0AIKO,Healthcare,\"$1,250.50\",won,3/7/2026\n")
    maps = {"record_id": "Deal #", "owner": "Rep", "industry": "Vertical", "amount": "Value", "outcome": "Status",
            "created_date": "Opened"}
    with session_scope(engine) as session:
        report = import_pipeline(session, text, ImportOptions(maps=maps, source="pipedrive"))
    assert report.summary() == "1 deal from pipedrive: 1 created, 0 updated, 0 unchanged"
    deal = deals(engine)["P-1"]
    assert (deal.owner_id, deal.industry, deal.value_minor, deal.outcome, str(deal.created_on)) == (
        org.aiko, "Healthcare", 125_050, "won", "2026-03-07")


def test_a_missing_required_column_is_refused_on_line_one_with_what_the_file_has(engine: Engine) -> None:
    make_org(engine)
    with session_scope(engine) as session, pytest.raises(BadInput) as caught:
        import_pipeline(session, "Deal,Amount\nx,1\n", ImportOptions(maps={"record_id": "Deal"}))
    assert str(caught.value).startswith("line 1: no column for owner (the owner's email or chat user id): looked "
                                        "for 'owner'; name it with --map owner=COLUMN. The file's columns: Deal, "
                                        "Amount")


def test_a_rate_table_with_a_bad_line_is_refused() -> None:
    assert parse_rates("currency,rate\nEUR,1.08\ngbp,1.27\n") == {"EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
    with pytest.raises(BadInput, match="rates line 2: the rate '-1' should be a number above 0"):
        parse_rates("EUR,1.08\nGBP,-1\n")


def test_the_command_prints_progress_and_a_closing_count_and_refuses_a_bad_file_with_exit_1(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_org(engine)
    monkeypatch.setenv("DATABASE_URL", engine.url_for_processes)  # type: ignore[attr-defined]
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    export, rates = tmp_path / "deals.csv", tmp_path / "rates.csv"
    export.write_text(HUBSPOT_CSV, encoding="utf-8")
    rates.write_text("currency,rate\nEUR,1.10\n", encoding="utf-8")
    assert main(["--env-file", os.devnull, "pipeline", "import", str(export), "--preset", "hubspot"]) == 1
    assert "amounts in EUR" in capsys.readouterr().err
    assert main(["--env-file", os.devnull, "pipeline", "import", str(export), "--preset", "hubspot",
                 "--rates", str(rates)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{export}: checked 3 deals",
                   f"Imported {export}: 3 deals from hubspot: 3 created, 0 updated, 0 unchanged."]
    assert main(["--env-file", os.devnull, "pipeline", "import", str(export), "--map", "colour=x"]) == 2
    assert "'colour' is not a deal field" in capsys.readouterr().err
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(Deal)).scalar_one() == 3
