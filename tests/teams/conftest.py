"""A running Drumbeat whose only platform is Teams, served by its own waitress server on loopback, and the Teams
emulator playing Microsoft's services and the tenant's people (real JWTs, real connector calls)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app import Drumbeat
from bot.clock import SimulatedClock
from bot.core import broadcasts
from bot.core.broadcasts import AudienceSpec, BroadcastDraft, BroadcastQueued
from bot.core.org import import_org_csv
from bot.core.roles import identify
from bot.emulators.teams import TeamsEmulator
from bot.platforms import USER_ID_FORMATS
from bot.settings import settings_from_mapping
from storage.address import Address
from storage.models import Delivery

pytest.importorskip("microsoft_teams.apps")

SDK_ENV = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL", "CLOUD", "PORT",
           "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "MANAGED_IDENTITY_CLIENT_ID")
START = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # Tuesday, 10:30 in Berlin: working hours
LENA = "6f1c2a9e-8d3b-4c5e-9a7f-1b2c3d4e5f60"
RIA = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
JO = "1b2c3d4e-5f60-4b7c-9d8e-9f0a1b2c3d4e"
ORG_CSV = f"""\
platform,platform_user_id,email,name,role,team,manager_platform_user_id
teams,{LENA},lena@example.com,Lena Okafor,leader,,
teams,{RIA},ria@example.com,_Ria_ *Star* Bell,rep,East,{LENA}
teams,{JO},jo@example.com,Jo Weber,rep,East,{LENA}
"""


@dataclass
class World:
    drumbeat: Drumbeat
    emu: TeamsEmulator
    clock: SimulatedClock
    slept: list[float] = field(default_factory=list)

    def schedule(self, sender_id: str, draft: BroadcastDraft) -> BroadcastQueued:
        services = self.drumbeat.services
        with services.unit_of_work() as session:
            sender = identify(session, Address("teams", sender_id))
            return broadcasts.schedule(session, sender=sender, draft=draft, now=services.clock(), rules=services.rules)

    def broadcast_to(self, *user_ids: str) -> BroadcastQueued:
        people = tuple(Address("teams", user_id) for user_id in user_ids)
        return self.schedule(LENA, BroadcastDraft(audience=AudienceSpec(people=people), message_key="win-on-strategy"))

    def deliveries(self) -> list[Delivery]:
        with self.drumbeat.services.unit_of_work() as session:
            rows = list(session.execute(select(Delivery).order_by(Delivery.id)).scalars())
            for row in rows:
                session.expunge(row)
            return rows

    def card(self, user_id: str, index: int = -1) -> dict[str, Any]:
        return self.emu.inbox(user_id)[index]["attachments"][0]["content"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def card_texts(card: dict[str, Any]) -> list[str]:
    return [element["text"] for element in card["body"] if element.get("type") == "TextBlock"]


@pytest.fixture
def teams_extra_settings() -> dict[str, str]:
    """More settings for the world's Drumbeat (a module overrides this fixture: the directory sync's tenant)."""
    return {}


@pytest.fixture
def world(engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          teams_extra_settings: dict[str, str]) -> Iterator[World]:
    for name in SDK_ENV:
        monkeypatch.delenv(name, raising=False)
    clock = SimulatedClock(START)
    port = free_port()  # known before the settings: TEAMS_PUBLIC_URL is where the cards' chart and CSV links point
    with TeamsEmulator(clock=SimulatedClock(START)) as emu:
        settings = settings_from_mapping({
            "DATABASE_URL": database_url, "DRUMBEAT_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key"),
            "TEAMS_APP_ID": emu.app_id, "TEAMS_APP_PASSWORD": emu.app_password,
            "TEAMS_LOGIN_URL": emu.login_url, "TEAMS_OPENID_METADATA_URL": emu.openid_metadata_url,
            "TEAMS_PUBLIC_URL": f"http://127.0.0.1:{port}",
            **{name: value.format(emu=emu) for name, value in teams_extra_settings.items()},
        })
        assert settings.teams.configured and not settings.slack.configured
        world = World(None, emu, clock)  # type: ignore[arg-type]

        def sleep(seconds: float) -> None:
            world.slept.append(seconds)
            clock.advance(timedelta(seconds=seconds))

        drumbeat = Drumbeat(settings, engine=engine, clock=clock, sleep=sleep, monotonic=lambda: clock.epoch())
        world.drumbeat = drumbeat
        try:
            drumbeat.serve_http(host="127.0.0.1", port=port, background=True)
            emu.connect_bot(f"http://127.0.0.1:{port}/api/messages")
            with drumbeat.services.unit_of_work() as session:
                report = import_org_csv(session, ORG_CSV, formats=USER_ID_FORMATS)
            assert report.created == 3
            for user_id, name in ((LENA, "Lena Okafor"), (RIA, "_Ria_ *Star* Bell"), (JO, "Jo Weber")):
                emu.add_user(user_id, name=name, local_timezone="Europe/Berlin")
            yield world
        finally:
            drumbeat.close()
