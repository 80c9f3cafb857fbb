"""`schedules` and `send` in Teams, end to end through the Teams emulator with signed activities, on SQLite and
PostgreSQL: a leader's list with each broadcast's occurrence progress, redrawn in place by Refresh, Pause, Resume,
Send now and Cancel (Action.Execute); `send` queued once per typed message and fanned out by the outbox. Reps,
another leader's broadcast and tampered button data are refused and change nothing."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy import func, select

from bot.core.broadcasts import AudienceSpec, BroadcastDraft
from schedules.recurrence import Recurrence
from storage.models import Broadcast, Delivery, Message, Person, Role

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252
from .test_teams_summary import typed  # noqa: TID252

DAILY = Recurrence(kind="workdays", start=date(2026, 11, 25), at=time(9, 0))


def list_card(world: World, user_id: str = LENA) -> tuple[str, dict[str, Any]]:
    """Type `schedules`; the message id and card of the answer."""
    (card,) = typed(world, user_id, "schedules", cards=1)
    return world.emu.inbox(user_id)[-1]["id"], card


def text(card: dict[str, Any]) -> str:
    return "\n".join(card_texts(card))


def press_verb(world: World, message_id: str, verb: str, data: dict[str, Any], user_id: str = LENA) -> Any:
    """A hand-made Action.Execute on the list (a forged one: any data; the SDK routes by its `action`)."""
    activity = world.emu.activity_for(user_id, "invoke", name="adaptiveCard/action", replyToId=message_id,
                                      value={"action": {"type": "Action.Execute", "verb": verb,
                                                        "data": {"action": verb, **data}}})
    return world.emu.deliver(activity)


def statuses(world: World) -> list[str]:
    with world.drumbeat.services.unit_of_work() as session:
        return [str(status) for status in session.execute(select(Broadcast.status).order_by(Broadcast.id)).scalars()]


def deliveries(world: World) -> int:
    with world.drumbeat.services.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(Delivery)).scalar_one())


def test_schedules_lists_each_broadcasts_occurrences_and_refresh_counts_them_again(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.broadcast_to(RIA, JO)

    message_id, card = list_card(world)

    assert ("**Where we win: on-strategy business first** (v1) to \\_Ria\\_ \\*Star\\* Bell, Jo Weber\n\nsent once, "
            "immediately · **done**") in text(card)  # a person's name escaped, as everywhere
    assert "2 people: 0 sent · 2 waiting · 0 failed (in progress)" in text(card)
    assert [action["title"] for action in card["actions"]] == ["Refresh"]
    world.drumbeat.dispatch_now()

    refreshed = world.emu.execute(LENA, message_id, title="Refresh")

    assert refreshed.status == 200 and refreshed.card_problems == []
    assert "2 people: 2 sent · 0 waiting · 0 failed" in text(world.card(LENA))
    assert "(in progress)" not in text(world.card(LENA))


def test_pause_resume_and_cancel_redraw_the_list_in_place(world: World) -> None:
    installed(world, LENA)
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(teams=("East",)), message_key="win-on-strategy",
                                        recurrence=DAILY))
    message_id, card = list_card(world)
    assert "**active**" in text(card)

    assert world.emu.execute(LENA, message_id, title="Pause").card_problems == []
    assert "**paused**" in text(world.card(LENA)) and statuses(world) == ["paused"]
    assert text(world.card(LENA)).startswith("Your broadcasts\n✅ ")

    world.emu.execute(LENA, message_id, title="Resume")
    assert statuses(world) == ["active"]
    world.emu.execute(LENA, message_id, title="Cancel")
    assert statuses(world) == ["cancelled"]
    assert "No broadcasts yet" in text(world.card(LENA))  # a cancelled broadcast leaves the list, as in Slack


def test_send_now_on_the_list_queues_the_broadcast_once_more(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.broadcast_to(RIA, JO)
    world.drumbeat.dispatch_now()
    message_id, card = list_card(world)
    titles = [a["title"] for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    assert titles == ["Send again now", "Edit"]  # sent once, so finished

    world.emu.execute(LENA, message_id, title="Send again now")
    world.drumbeat.dispatch_now()

    assert [len(world.emu.inbox(user_id)) for user_id in (RIA, JO)] == [2, 2]


def test_a_rep_is_refused_the_list_and_its_buttons(world: World) -> None:
    installed(world, LENA, RIA)
    world.broadcast_to(JO)
    message_id, _ = list_card(world)
    with world.drumbeat.services.unit_of_work() as session:
        broadcast_id = int(session.execute(select(Broadcast.id)).scalar_one())

    (refused,) = typed(world, RIA, "schedules", cards=1)
    assert text(refused) == "🚫 Sorry, only leaders and admins can list broadcasts. You are registered as a rep."

    answer = press_verb(world, message_id, "schedule_cancel", {"broadcast": str(broadcast_id)}, user_id=RIA)
    assert answer.status == 200 and answer.body["type"] == "application/vnd.microsoft.activity.message"
    assert "manage broadcasts" in answer.body["value"]
    assert statuses(world) == ["done"]  # sent once, now: not cancelled


def test_tampered_button_data_and_another_leaders_broadcast_are_refused_and_change_nothing(world: World) -> None:
    installed(world, LENA)
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(teams=("East",)), message_key="win-on-strategy",
                                        recurrence=DAILY))
    with world.drumbeat.services.unit_of_work() as session:
        broadcast_id = int(session.execute(select(Broadcast.id)).scalar_one())
        session.add(Person(name="Max Other", tz="Europe/Berlin", role=Role.LEADER))
    message_id, card = list_card(world)
    before = deliveries(world)

    for data in ({"broadcast": "1 OR 1=1"}, {"broadcast": "-1"}, {"broadcast": 7}, {}, {"broadcast": "9" * 30}):
        answer = press_verb(world, message_id, "schedule_cancel", data)
        assert answer.body["value"] == "That button does not point at a broadcast."
    answer = press_verb(world, message_id, "schedule_cancel", {"broadcast": str(broadcast_id + 1000)})
    assert answer.body["value"] == "That broadcast no longer exists."
    with world.drumbeat.services.unit_of_work() as session:
        session.get(Broadcast, broadcast_id).created_by_id = session.execute(  # type: ignore[union-attr]
            select(Person.id).where(Person.name == "Max Other")).scalar_one()
    answer = press_verb(world, message_id, "schedule_send_now", {"broadcast": str(broadcast_id)})
    assert "belongs to another leader" in answer.body["value"]

    assert statuses(world) == ["active"] and deliveries(world) == before
    assert world.card(LENA) == card  # the card stayed as it was


def test_a_leader_sends_a_library_message_now_and_the_outbox_fans_it_out(world: World) -> None:
    installed(world, LENA, RIA, JO)

    (queued,) = typed(world, LENA, "send win-on-strategy to East", cards=1)

    assert text(queued).startswith("📣 Scheduled **") and "for 2 people in team East: now." in text(queued)
    assert world.drumbeat.dispatch_now().sent == 2
    assert [len(world.emu.inbox(user_id)) for user_id in (RIA, JO)] == [1, 1]


def test_send_to_a_mentioned_person_and_a_redelivered_message_queues_once(world: World) -> None:
    installed(world, LENA, RIA, JO)
    user = world.emu.user(JO)
    entity = {"type": "mention", "text": f"<at>{user.name}</at>", "mentioned": {"id": user.bot_id, "name": user.name}}
    activity = world.emu.activity_for(LENA, "message", text=f"send win-on-strategy to <at>{user.name}</at>",
                                      textFormat="plain", entities=[entity])

    for _ in range(2):  # Teams delivering the same message twice
        before = len(world.emu.inbox(LENA))
        assert world.emu.deliver(activity).status == 200
        world.emu.wait_for(lambda: len(world.emu.inbox(LENA)) > before, timeout=30)
        assert world.drumbeat.wait_for_background()

    assert "submitted before: it was scheduled once" in text(world.card(LENA))
    assert deliveries(world) == 1
    world.drumbeat.dispatch_now()
    assert [len(world.emu.inbox(user_id)) for user_id in (RIA, JO)] == [0, 1]


def test_a_rep_typing_send_is_refused_and_bad_input_says_what_would_work(world: World) -> None:
    installed(world, LENA, RIA)

    (refused,) = typed(world, RIA, "send win-on-strategy to East", cards=1)
    assert text(refused).startswith("🚫 ") and "send broadcasts" in text(refused)
    (no_target,) = typed(world, LENA, "send win-on-strategy", cards=1)
    assert "Say which message and to whom" in text(no_target)
    (bad_key,) = typed(world, LENA, "send Win_On to East", cards=1)
    assert "is not a message key" in text(bad_key)
    (unknown,) = typed(world, LENA, "send no-such-message to East", cards=1)
    assert "no-such-message" in text(unknown)
    (no_team,) = typed(world, LENA, "send win-on-strategy to Atlantis", cards=1)
    assert "Atlantis" in text(no_team)

    assert deliveries(world) == 0 and statuses(world) == []


def versions(world: World) -> list[int]:
    with world.drumbeat.services.unit_of_work() as session:
        return sorted(session.execute(select(Message.version).where(Message.key == "win-on-strategy")).scalars())


def edit_form(world: World, message_id: str) -> dict[str, Any]:
    opened = world.emu.submit(LENA, message_id, title="Edit")
    assert opened.status == 200 and opened.card_problems == []
    return world.emu.dialog(LENA).card


def test_edit_opens_the_message_in_a_dialog_and_saves_a_new_version_once(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(teams=("East",)), message_key="win-on-strategy",
                                        recurrence=DAILY))
    message_id, _ = list_card(world)
    form = edit_form(world, message_id)
    title = next(element for element in form["body"] if element.get("id") == "title")
    assert title["value"] == "Where we win: on-strategy business first"

    before = len(world.emu.inbox(LENA))
    saved = world.emu.submit_dialog(LENA, {"title": "Where we win, sharper", "body": "Strategy first, always."},
                                    title="Save new version")
    assert saved.status == 200 and world.drumbeat.wait_for_background()
    assert world.emu.deliver(saved.activity).status == 200  # Teams delivering the submission twice
    assert world.drumbeat.wait_for_background()
    world.emu.wait_for(lambda: len(world.emu.inbox(LENA)) > before)
    assert text(world.card(LENA)).startswith("✏️ Saved v2. Messages already sent keep their version")
    assert versions(world) == [1, 2] and len(world.emu.inbox(LENA)) == before + 1  # told once


def test_edit_problems_come_back_under_their_field_and_forged_ids_are_refused(world: World) -> None:
    installed(world, LENA, RIA)
    world.schedule(LENA, BroadcastDraft(audience=AudienceSpec(teams=("East",)), message_key="win-on-strategy",
                                        recurrence=DAILY))
    message_id, _ = list_card(world)
    edit_form(world, message_id)

    again = world.emu.submit_dialog(LENA, {"title": "", "body": "Still here."}, title="Save new version")
    form = world.emu.dialog(LENA).card
    assert again.card_problems == [] and any(e.get("color") == "Attention" for e in form["body"])

    for broadcast in ("abc", "0", "999999"):
        refused = world.emu.fetch_dialog(LENA, {"msteams": {"type": "task/fetch"}, "dialog_id": "schedule_edit",
                                                "broadcast": broadcast})
        assert "Attention" not in str(refused.body) and ("point at a broadcast" in str(refused.body)
                                                         or "no longer exists" in str(refused.body))
    rep = world.emu.fetch_dialog(RIA, {"msteams": {"type": "task/fetch"}, "dialog_id": "schedule_edit",
                                       "broadcast": "1"})
    assert "only leaders and admins" in str(rep.body)
    assert versions(world) == [1]
