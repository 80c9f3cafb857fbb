"""People's words never become Slack markup: hostile names, a team name, titles, requests, comments and quiz
questions, end to end through every surface a reader sees them on.

The organisation is imported with `drumbeat org import` as an admin would (a leader, a manager and a rep with
hostile names, team East renamed to something hostile); one more rep arrives through a linked Slack user group
with a hostile real name from Slack's directory. Each test then drives real commands, clicks, modals and
deliveries through the emulator and walks every payload Drumbeat sent (tests/slack/hostile.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.demo import DEMO_CSV_COLUMNS, DEMO_PEOPLE, demo_person
from tests.slack.conftest import SIGNING_SECRET, Workspace
from tests.slack.hostile import assert_nothing_became_markup, hostile, shown, text_of
from tests.slack.test_coaching import answer_waiting, broadcast_quiz, coaching_dms, live

LENA, MARCO, JONAS, NEWCOMER = "U0LEADER1", "U0MGREAST", "U0REPEA02", "U0REPEA09"
NAMES = {"lena": hostile("Lena"), "marco": '=HYPERLINK("https://evil.example") ' + hostile("Marco"),
         "jonas": hostile("Jonas")}
TEAM = "East <!everyone> & <#C0EVIL>"
TITLE = hostile("Title")


@pytest.fixture
def workspace_rate_limits() -> bool:
    return False  # the coaching test lives through days of simulated time in real seconds


class Said:
    """The direct answers the bot gave (acks with a body): the walk reads them beside the recorded calls."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.answers: list[object] = []

    def keep(self, response):  # noqa: ANN001, ANN201 - the emulator's ActorResponse
        assert response.status == 200, response
        if isinstance(response.body, dict):
            self.answers.append(response.body)
        return response

    def command(self, user_id: str, text: str):  # noqa: ANN201
        return self.keep(self.workspace.slack.slash_command(user_id, text=text))

    def submit(self, user_id: str, callback_id: str, values: dict):  # noqa: ANN201
        view = [v for v in self.workspace.slack.open_views(user_id) if v["callback_id"] == callback_id][-1]
        return self.keep(self.workspace.slack.submit_view(user_id, view["id"], values))

    def click(self, user_id: str, message: dict, action_id: str, value: str | None = None):  # noqa: ANN201
        return self.keep(self.workspace.slack.click(user_id, channel=message["channel"], ts=message["ts"],
                                                    action_id=action_id, value=value))

    def checked(self) -> list:
        return assert_nothing_became_markup(self.workspace.slack, self.answers)


def hostile_org_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DEMO_CSV_COLUMNS)
    for person in DEMO_PEOPLE:
        writer.writerow([person.slack_id, person.email, NAMES.get(person.handle, person.name), person.role,
                         TEAM if person.team == "East" else person.team, person.manager])
    return out.getvalue()


@pytest.fixture
def said(workspace: Workspace, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Said:
    org_file = tmp_path / "org.csv"
    org_file.write_text(hostile_org_csv(), encoding="utf-8")
    for name, value in (("SLACK_BOT_TOKEN", workspace.slack.bot_token), ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
                        ("SLACK_API_URL", workspace.slack.api_url),
                        ("DATABASE_URL", engine.url_for_processes),  # type: ignore[attr-defined]
                        ("DRUMBEAT_FEEDBACK_KEY_FILE", str(tmp_path / "feedback.key"))):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert main(["--env-file", os.devnull, "org", "import", str(org_file)]) == 0
    # Slack's directory says the same (a user_change event), and a newcomer arrives through a linked user group
    # with the real name Slack has for them.
    workspace.slack.set_user(JONAS, real_name=NAMES["jonas"])
    workspace.slack.send_event({"type": "user_change", "user": workspace.slack.user_object(JONAS)})
    workspace.slack.add_user(NEWCOMER, name="mia", real_name=hostile("Mia"), tz="Europe/Berlin")
    workspace.slack.add_usergroup("S0FIELD", handle="field", user_ids=[NEWCOMER])
    recorder = Said(workspace)
    recorder.command(LENA, "team link Field <!subteam^S0FIELD|@field>")
    return recorder


def dm_text(workspace: Workspace, handle_or_id: str) -> str:
    user_id = handle_or_id if handle_or_id.startswith("U") else demo_person(handle_or_id).slack_id
    return json.dumps(workspace.slack.inbox(user_id))


def test_names_and_team_names_stay_text_in_summaries_feedback_lists_and_the_export(said: Said) -> None:
    workspace = said.workspace
    said.command(JONAS, "feedback")
    said.submit(JONAS, "feedback_modal", {"stop_input": hostile("Stop"), "anonymous_input": []})
    workspace.clock.advance(timedelta(days=1))  # the day's feedback is released after midnight
    workspace.drumbeat.release_feedback_now()
    said.command(MARCO, "feedback list")
    said.command(MARCO, "summary")
    said.command(MARCO, f"summary <@{JONAS}|jonas>")
    said.command(LENA, "summary Field")
    said.command(LENA, f"summary <@{NEWCOMER}>")
    said.command(MARCO, "summary export")
    files = workspace.slack.wait_for(lambda: [f for f in workspace.slack.uploaded_files
                                              if f["filename"].endswith(".csv")])

    everything = text_of(said.checked())
    for label in ("Jonas", "Stop", "Mia"):
        assert shown(label) in everything, label
    assert "East &lt;!everyone&gt; &amp; &lt;#C0EVIL&gt;" in everything  # the team, in feedback list and summary
    headers = text_of(said.checked(), kind="plain_text")
    assert f"{TEAM} · last 30 days" in headers and f"{NAMES['jonas']} · last 30 days" in headers
    (export,) = files
    cells = [cell for row in csv.reader(io.StringIO(export["bytes"].decode("utf-8"))) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_home_tabs_of_leader_manager_and_reps_keep_names_as_text(said: Said) -> None:
    said.command(JONAS, f"away {hostile('Away')}")  # time away the grammar cannot read is echoed back
    for user_id in (LENA, MARCO, JONAS, NEWCOMER):
        said.keep(said.workspace.slack.open_home(user_id))
    homes = text_of(said.checked(), "views.publish", kind="plain_text")
    assert "Hi <https://evil.example|Jonas>!" in homes and "Hi <https://evil.example|Mia>!" in homes  # first names
    assert "East &lt;!everyone&gt;" in text_of(said.checked(), "views.publish")


def test_a_broadcast_greets_hostile_names_as_text_and_keeps_the_leaders_own_markup(said: Said) -> None:
    workspace = said.workspace
    said.command(LENA, "broadcast")
    sent = said.submit(LENA, "broadcast_modal", {
        "title_input": TITLE, "teams_input": [TEAM],
        "body_input": "Hi *{{ person.first_name }}* of {{ person.team }} ({{ person.manager }}): "
                      "read <https://example.com/plan|our plan> {% set who %}_{{ person.name }}_{% endset %}{{ who }}",
    })
    assert not (isinstance(sent.body, dict) and sent.body.get("errors")), sent.body
    workspace.dispatch()
    said.command(LENA, "schedules")
    schedules = [m for m in workspace.slack.inbox(LENA) if "Your broadcasts" in json.dumps(m)][-1]
    said.click(LENA, schedules, "schedule_send_now")
    workspace.dispatch()
    (delivery, *_) = workspace.slack.inbox(JONAS)
    said.click(JONAS, delivery, "delivery_ack")
    said.command(LENA, "broadcast")  # a broken body is refused; the preview of a library message greets Lena
    refused = said.submit(LENA, "broadcast_modal", {"title_input": TITLE, "teams_input": [TEAM],
                                                    "body_input": "Hi {{ person.nick }} <!channel> & you"})
    assert refused.body["response_action"] == "errors"
    modal = [v for v in workspace.slack.open_views(LENA) if v["callback_id"] == "broadcast_modal"][-1]
    said.keep(workspace.slack.click_in_view(LENA, view_id=modal["id"], action_id="message_pick",
                                            value="win-on-strategy"))

    said_all = said.checked()
    jonas = dm_text(workspace, "jonas")
    # The leader's markup works; the values in it are text: Jonas's first name is "<https://evil.example|Jonas>".
    assert "Hi *&lt;https://evil.example|Jonas&gt;* of East &lt;!everyone&gt; &amp; &lt;#C0EVIL&gt;" in jonas
    assert "<https://example.com/plan|our plan>" in jonas
    assert f"_{shown('Jonas')}_" in jonas  # a value inside a {% set %} block is escaped once, not twice
    assert shown("Marco") in jonas and shown("Lena") in jonas  # manager in the body, author in the context line
    assert "*Preview for you:*\nHi &lt;https://evil.example|Lena&gt;," in text_of(said_all, "views.update")
    assert "has no attribute 'nick'" in refused.body["errors"]["body"]  # next to the field, in plain text
    leader = text_of(said_all, "chat.postMessage")
    assert shown("Title") in leader  # the confirmation and the schedules list
    assert TITLE in text_of(said_all, kind="plain_text")  # the DM's header shows the title as typed


def test_a_managers_request_and_a_reps_answer_are_literal_everywhere(said: Said) -> None:
    workspace = said.workspace
    said.command(MARCO, f"feedback request {TEAM} | <https://evil.example|Request> <!channel> & *Request* {{{{ 7*7 }}}}")
    workspace.dispatch()
    (message,) = workspace.slack.inbox(JONAS)
    said.click(JONAS, message, "feedback_open")
    said.submit(JONAS, "feedback_modal", {"stop_input": hostile("Answer"), "anonymous_input": []})
    said.command(MARCO, "feedback list")
    said.command(JONAS, "feedback mine")

    said_all = said.checked()
    request = "&lt;https://evil.example|Request&gt; &lt;!channel&gt; &amp; *Request* {{ 7*7 }}"
    assert request in text_of(said_all, "chat.postMessage")  # the reps' DM
    assert request in text_of(said_all, "views.open")  # the feedback modal's question
    assert shown("Answer") in text_of(said_all)


def test_a_quiz_question_written_in_slack_is_text_in_every_dm_and_modal(said: Said) -> None:
    workspace = said.workspace
    said.command(LENA, "quiz new")
    said.submit(LENA, "quiz_new_modal", {  # refused first: two options the same, said next to the field
        "expectation_input": "qualify-against-icp", "prompt_input": hostile("Prompt"),
        "option_1_input": "<!here> & go", "option_2_input": "<!here> & go", "correct_input": "1",
        "explanation_input": hostile("Why")})
    said.submit(LENA, "quiz_new_modal", {
        "expectation_input": "qualify-against-icp", "prompt_input": hostile("Prompt"),
        "option_1_input": "<!here> & go", "option_2_input": "<@U0EVIL99> first", "correct_input": "1",
        "explanation_input": hostile("Why")})
    said.command(LENA, "broadcast")
    view = [v for v in workspace.slack.open_views(LENA) if v["callback_id"] == "broadcast_modal"][-1]
    key = next(option["value"] for block in view["blocks"] if block.get("block_id") == "question"
               for option in block["element"]["options"] if option["text"]["text"].startswith("<https://evil"))
    said.submit(LENA, "broadcast_modal", {"people_input": [JONAS], "question_input": key})
    workspace.drumbeat.tick()
    workspace.dispatch()
    answer_waiting(workspace, "jonas", right=False)

    said_all = said.checked()
    jonas = text_of(said_all, "chat.")
    assert shown("Prompt") in jonas and shown("Why") in jonas and "&lt;!here&gt; &amp; go" in jonas
    plain = text_of(said_all, kind="plain_text")
    assert "<!here> & go" in plain and "<@U0EVIL99> first" in plain  # the option buttons, as typed


def test_coaching_dms_and_the_coached_modal_name_reps_as_text(said: Said) -> None:
    workspace = said.workspace
    broadcast_quiz(workspace, "q-on-strategy-share", handles=("aiko", "jonas", "priya"))
    answer_waiting(workspace, "jonas", right=False)
    answer_waiting(workspace, "aiko", right=True)
    answer_waiting(workspace, "priya", right=True)
    for _ in range(72):  # until the re-ask is missed too and it is Marco's morning
        if coaching_dms(workspace):
            break
        live(workspace, 1, {"jonas": False})
    (dm, *_) = coaching_dms(workspace)
    nudge = next(element for block in dm["blocks"] if block["type"] == "actions" for element in block["elements"]
                 if element["action_id"].startswith("coaching_coached_"))
    said.click(MARCO, dm, nudge["action_id"], nudge["value"])
    said.submit(MARCO, "coaching_modal", {"cause_input": "tasks", "note_input": hostile("Note")})

    said_all = said.checked()
    assert shown("Jonas") in text_of(said_all, "chat.postMessage")  # the coaching DM
    assert shown("Jonas") in text_of(said_all, "views.open")  # the Coached modal
    assert shown("Note") in text_of(said_all, "chat.update")  # the DM, settled, with the note
