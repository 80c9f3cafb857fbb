"""The organisation bench/ack.py times its requests against, and the plain Bolt app it compares with.

A 1,000-person organisation (one leader, 40 managers of 25 reps, a 300-rep team, 50 leaders who submit the
broadcast modal) plus a 10,000-rep team that only the largest send addresses. Everyone is a user of the
Slack emulator, so every request is signed and answered over HTTP exactly as Slack would send it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

from bot.app import Drumbeat
from bot.core.org import import_org_csv
from bot.emulators.slack import SlackEmulator
from bot.platforms import USER_ID_FORMATS
from storage.models import Message

LEADER = "U0LEADER1"
TEAM_SIZE = 25


@dataclass(frozen=True)
class Org:
    managers: list[str]
    reps: list[str]
    big_team: list[str]
    modal_leaders: list[str]
    field_size: int
    extra: list[str] = field(default_factory=list)

    @property
    def people(self) -> int:
        """The organisation the figures are for (the 10,000-rep Field team only widens the biggest send)."""
        return 1 + len(self.managers) + len(self.reps) + len(self.big_team) + len(self.modal_leaders)


def _ids(prefix: str, count: int) -> list[str]:
    return [f"U{prefix}{n:07d}" for n in range(count)]


def build_org(managers: int = 25, big_team: int = 300, modal_leaders: int = 50, field_size: int = 10_000) -> Org:
    return Org(managers=_ids("M", managers), reps=_ids("R", managers * TEAM_SIZE), big_team=_ids("B", big_team),
               modal_leaders=_ids("L", modal_leaders), field_size=field_size)


def field_ids(org: Org) -> Iterator[str]:
    return iter(_ids("F", org.field_size))


def org_csv(org: Org) -> str:
    lines = ["slack_id,email,name,role,team,manager_slack_id", f"{LEADER},lead@example.com,Lena Okafor,leader,,"]
    for number, manager in enumerate(org.managers):
        team = f"Team {number:02d}"
        lines.append(f"{manager},{manager.lower()}@example.com,Manager {number},manager,{team},{LEADER}")
        lines += [f"{rep},{rep.lower()}@example.com,Rep {rep[2:]},rep,{team},{manager}"
                  for rep in org.reps[number * TEAM_SIZE:(number + 1) * TEAM_SIZE]]
    lines += [f"{rep},{rep.lower()}@example.com,Big {rep[2:]},rep,Big,{LEADER}" for rep in org.big_team]
    lines += [f"{lead},{lead.lower()}@example.com,Leader {lead[2:]},leader,," for lead in org.modal_leaders]
    lines += [f"{rep},{rep.lower()}@example.com,Field {rep[2:]},rep,Field,{LEADER}" for rep in field_ids(org)]
    return "\n".join(lines) + "\n"


def seed(drumbeat: Drumbeat, emulator: SlackEmulator, org: Org) -> None:
    """The people in Slack and in Drumbeat, and the message every send and modal submission carries."""
    everyone = [LEADER, *org.managers, *org.reps, *org.big_team, *org.modal_leaders]
    for user in everyone:
        emulator.add_user(user, name=user.lower(), tz="Europe/Berlin")
    with drumbeat.services.unit_of_work() as session:
        import_org_csv(session, org_csv(org), formats=USER_ID_FORMATS)
        session.add(Message(key="bench", title="Acknowledged at once", body="Hi {{ person.first_name }}"))


class PlainBolt:
    """The peer: a Bolt app that only acknowledges, served by the same WSGI server, threads and signature
    check as Drumbeat, so what is left of the difference is Drumbeat's own work before its answers."""

    def __init__(self, signing_secret: str, command: str, client: WebClient) -> None:
        app = App(signing_secret=signing_secret, client=client, process_before_response=True)

        def acknowledge(ack: Ack) -> None:
            ack()

        app.command(command)(acknowledge)
        app.action(re.compile(".*"))(acknowledge)
        app.view(re.compile(".*"))(acknowledge)
        self._server = create_server(SlackRequestHandler(app, path="/slack/events"), host="127.0.0.1", port=0,
                                     threads=8, ident="plain-bolt")
        self._thread = threading.Thread(target=self._server.run, name="plain-bolt", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}/slack/events"

    def __enter__(self) -> PlainBolt:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        server = self._server
        server.task_dispatcher.shutdown(timeout=5)
        try:
            server.trigger.pull_trigger(server.close)  # from waitress's own loop, as bot.app closes its server
        except OSError:
            server.close()
        self._thread.join(timeout=5)
