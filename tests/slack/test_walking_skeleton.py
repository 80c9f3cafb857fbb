"""The thin slice through every layer: a leader sends, reps get DMs and click, a manager reads the summary.

Every request reaches the bot signed, over HTTP, exactly as Slack sends it; every answer goes through
the emulator, which enforces Slack's argument names, Block Kit limits and rate limits.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from tests.people import slack_person
from bot.slack.ids import ActionId
from storage.models import Delivery

from .conftest import Workspace  # noqa: TID252


def reply_text(response) -> str:  # noqa: ANN001
    assert response.status == 200, response
    answer = response.answer
    assert answer, response
    return json.dumps(answer)


def got_it_button(message: dict) -> dict | None:
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block["elements"]:
                if element.get("action_id") == ActionId.ACKNOWLEDGE:
                    return element
    return None


def deliveries(workspace: Workspace) -> int:
    with workspace.drumbeat.services.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(Delivery)).scalar_one()


def test_leader_broadcast_reaches_reps_who_acknowledge_and_manager_sees_it(workspace: Workspace) -> None:
    reply = workspace.command("lena", "send win-on-strategy to East")
    assert not reply.body  # acknowledged with nothing to say yet: the broadcast is written after the ack
    (after_ack,) = workspace.answers_after_ack()
    assert after_ack == json.dumps(reply.answer)
    assert "On its way" in after_ack and "to 3 people in team East" in after_ack
    assert '"response_type": "ephemeral"' in after_ack

    report = workspace.dispatch()
    assert report.sent == 3
    for handle in ("aiko", "jonas", "priya"):
        (dm,) = workspace.inbox(handle)
        assert got_it_button(dm) is not None
        assert workspace.person(handle).name.split()[0] in json.dumps(dm["blocks"])  # rendered for them
    assert workspace.inbox("sam") == []  # West was not addressed

    aiko_dm = workspace.inbox("aiko")[0]
    click = workspace.slack.click(workspace.person("aiko").slack_id, channel=aiko_dm["channel"], ts=aiko_dm["ts"],
                                  action_id=ActionId.ACKNOWLEDGE)
    assert click.status == 200
    (updated,) = workspace.inbox("aiko")
    assert got_it_button(updated) is None
    assert "You acknowledged this" in json.dumps(updated["blocks"])

    summary = reply_text(workspace.command("marco", "summary"))
    assert "Team East" in summary
    assert "3 of 3 reps got a message" in summary
    assert "1 of 3 messages" in summary
    assert "win-on-strategy" in summary


def stale_click_body(user_id: str, dm: dict, value: str) -> bytes:
    """A block_actions request for a button as it was before the message was updated (another device)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "aiko", "team_id": "T0DRUMBEAT"},
        "team": {"id": "T0DRUMBEAT", "domain": "drumbeat"},
        "api_app_id": "A0DRUMBEAT",
        "container": {"type": "message", "channel_id": dm["channel"], "message_ts": dm["ts"]},
        "channel": {"id": dm["channel"]},
        "message": {"ts": dm["ts"], "blocks": dm["blocks"]},
        "trigger_id": "1.2.stale",  # Slack sends a trigger with every block action, stale copies too
        "actions": [{"type": "button", "action_id": ActionId.ACKNOWLEDGE.value, "block_id": "delivery_actions",
                     "value": value, "action_ts": str(time.time())}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_clicking_got_it_twice_keeps_the_first_acknowledgement(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to <@U0REPEA01|aiko>")
    workspace.dispatch()
    dm = workspace.inbox("aiko")[0]
    value = got_it_button(dm)["value"]
    workspace.slack.click("U0REPEA01", channel=dm["channel"], ts=dm["ts"], action_id=ActionId.ACKNOWLEDGE)
    with workspace.drumbeat.services.unit_of_work() as session:
        first = session.get(Delivery, int(value)).acknowledged_at
    assert first is not None
    response = workspace.slack.send_signed(stale_click_body("U0REPEA01", dm, value), "application/x-www-form-urlencoded")
    assert response.status == 200
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.get(Delivery, int(value)).acknowledged_at == first


def test_someone_elses_button_is_refused(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to <@U0REPEA01|aiko>")
    workspace.dispatch()
    dm = workspace.inbox("aiko")[0]
    value = got_it_button(dm)["value"]
    response = workspace.slack.send_signed(stale_click_body("U0REPEA02", dm, value), "application/x-www-form-urlencoded")
    assert response.status == 200
    with workspace.drumbeat.services.unit_of_work() as session:
        assert session.get(Delivery, int(value)).acknowledged_at is None
    assert "belongs to someone else" in json.dumps(workspace.inbox("jonas"))


def test_rep_cannot_send_and_gets_a_polite_refusal(workspace: Workspace) -> None:
    text = reply_text(workspace.command("jonas", "send win-on-strategy to East"))
    assert "only leaders and admins can send broadcasts" in text
    assert deliveries(workspace) == 0


def test_manager_cannot_see_another_teams_summary(workspace: Workspace) -> None:
    text = reply_text(workspace.command("marco", "summary West"))
    assert "West is not one of your teams" in text
    assert "reps got a message" not in text


def test_rep_sees_only_their_own_figures(workspace: Workspace) -> None:
    assert "Drumbeat figures for Aiko Tanaka, last 30 days" in reply_text(workspace.command("aiko", "summary"))
    assert "team summaries are for managers and leaders" in reply_text(workspace.command("aiko", "summary East"))


def test_unknown_subcommand_gets_usage_help(workspace: Workspace) -> None:
    text = reply_text(workspace.command("lena", "dance"))
    assert "I don't know `dance`" in text
    assert "send &lt;message-key&gt;" in text or "send <message-key>" in text


def test_malformed_send_gets_usage_help(workspace: Workspace) -> None:
    text = reply_text(workspace.command("lena", "send win-on-strategy"))
    assert "Say which message and to whom" in text
    assert deliveries(workspace) == 0


def test_person_outside_the_directory_is_told_how_to_join(workspace: Workspace) -> None:
    workspace.slack.add_user("U0STRANGER", name="stranger", tz="Europe/Paris")
    text = reply_text(workspace.slack.slash_command("U0STRANGER", text="summary"))
    assert "Ask your Drumbeat admin" in text


def test_bad_signature_is_rejected_and_changes_nothing(workspace: Workspace) -> None:
    body = "command=%2Fdrumbeat&text=send+win-on-strategy+to+East&user_id=U0LEADER1&team_id=T0DRUMBEAT".encode()
    response = workspace.slack.send_signed(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert response.status == 401
    assert deliveries(workspace) == 0


def test_stale_signature_is_rejected_and_changes_nothing(workspace: Workspace) -> None:
    body = "command=%2Fdrumbeat&text=send+win-on-strategy+to+East&user_id=U0LEADER1&team_id=T0DRUMBEAT".encode()
    response = workspace.slack.send_signed(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600)
    assert response.status == 401
    assert deliveries(workspace) == 0


def test_home_tab_shows_what_is_waiting(workspace: Workspace) -> None:
    workspace.command("lena", "send win-on-strategy to East")
    workspace.dispatch()
    workspace.slack.open_home("U0REPEA02")
    home = workspace.slack.home_view("U0REPEA02")
    assert home is not None
    assert "1 strategy message to acknowledge" in json.dumps(home)


def test_directory_sync_took_time_zones_from_slack(workspace: Workspace) -> None:

    with workspace.drumbeat.services.unit_of_work() as session:
        tz = slack_person(session, "U0REPEA01").tz
    assert tz == "Asia/Tokyo"
    assert workspace.slack.calls_named("users.list")
    assert not workspace.slack.calls_named("users.info")


def test_user_change_event_updates_a_reps_time_zone(workspace: Workspace) -> None:

    workspace.slack.set_user("U0REPEA02", tz="America/Chicago")
    response = workspace.slack.send_event({"type": "user_change", "user": workspace.slack.user_object("U0REPEA02")})
    assert response.status == 200
    with workspace.drumbeat.services.unit_of_work() as session:
        tz = slack_person(session, "U0REPEA02").tz
    assert tz == "America/Chicago"
