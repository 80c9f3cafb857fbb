"""Teams audiences that stay true, end to end through the emulator (signed activities, Graph over HTTP): an Entra
group, a Team and a channel resolved at each occurrence, membership events in a team the app is in, exclusions,
the channel post, and the count the leader gets before sending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from storage.models import AudienceGroup, AudienceGroupMember

from .conftest import JO, LENA, RIA, World  # noqa: TID252
from .test_teams_leader_dialogs import open_dialog, texts, told  # noqa: TID252
from .test_teams_slice import installed  # noqa: TID252

FIELD_SALES = "5e5e5e5e-0000-4000-8000-00000000f1e1"
SALES_TEAM = "7a7a7a7a-0000-4000-8000-0000000000aa"
# Wednesday 09:00 in Berlin (Lena's zone), at a fixed time for everyone; the clock starts on Tuesday 09:30 UTC.
WEEKLY_WEDNESDAY = {"message": "win-on-strategy", "when": "recurring", "kind": "weekly", "weekdays": "2",
                    "time": "09:00", "local_time": "false"}
FIRST_WEDNESDAY = timedelta(days=1)


@pytest.fixture
def teams_extra_settings() -> dict[str, str]:
    return {"TEAMS_TENANT_ID": "{emu.tenant_id}", "TEAMS_GRAPH_URL": "{emu.graph_url}"}


def channel_link(world: World, channel_id: str, name: str) -> str:
    """What Teams' *Get link to channel* gives."""
    return (f"https://teams.microsoft.com/l/channel/{quote(channel_id, safe='')}/{name}?groupId={SALES_TEAM}"
            f"&tenantId={world.emu.tenant_id}")


def submit(world: World, inputs: dict[str, Any], title: str) -> dict[str, Any]:
    answer = world.emu.submit_dialog(LENA, inputs, title=title)
    assert answer.status == 200 and answer.card_problems == [], answer.body
    dialog = world.emu.dialog(LENA)
    return dialog.card if dialog is not None else {}


def schedule(world: World, inputs: dict[str, Any]) -> str:
    open_dialog(world, LENA, "broadcast", "Open the broadcast form")
    before = len(world.emu.inbox(LENA))
    assert submit(world, inputs, "Schedule") == {}, "the form came back with problems"
    return told(world, LENA, before)


def received(world: World, user_id: str) -> int:
    return len(world.emu.inbox(user_id))


def next_week(world: World) -> None:
    world.clock.advance(timedelta(days=7))
    world.drumbeat.tick()


def test_weekly_broadcast_to_an_entra_group_reaches_whoever_is_in_it_that_week(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.emu.add_group(FIELD_SALES, [RIA], name="Field sales")
    open_dialog(world, LENA, "broadcast", "Open the broadcast form")
    first = texts(submit(world, {**WEEKLY_WEDNESDAY, "group_links": FIELD_SALES}, "Count who it reaches"))
    assert "1 of the groups could not be read yet" in first and "Reading 1 of the groups" in first
    assert world.drumbeat.wait_for_background()  # read from Graph after the answer
    counted = texts(submit(world, {**WEEKLY_WEDNESDAY, "group_links": FIELD_SALES}, "Count who it reaches"))
    assert "The audience reaches 1 person now" in counted and "Reading" not in counted

    before = len(world.emu.inbox(LENA))
    assert submit(world, {**WEEKLY_WEDNESDAY, "group_links": FIELD_SALES}, "Schedule") == {}
    assert "Entra group Field sales" in told(world, LENA, before)  # named by Graph after the dialog's answer
    world.clock.advance(FIRST_WEDNESDAY)
    world.drumbeat.tick()
    assert (received(world, RIA), received(world, JO)) == (1, 0)

    world.emu.set_group_members(FIELD_SALES, [JO])  # edited in Entra: Ria out, Jo in (no event: the bound re-reads)
    next_week(world)
    assert (received(world, RIA), received(world, JO)) == (1, 1)
    assert world.emu.graph.calls["graph_group_transitive_members"] == 3  # counted, then re-read when due (stale)


def test_nested_groups_count_their_members_once(world: World) -> None:
    installed(world, LENA, RIA, JO)
    east = "5e5e5e5e-0000-4000-8000-0000000000e5"
    world.emu.add_group(east, [RIA, JO])
    world.emu.add_group(FIELD_SALES, [RIA, east])  # no name in Graph: labelled by its id
    told_lena = schedule(world, {"message": "win-on-strategy", "group_links": FIELD_SALES})
    assert "for 2 people" in told_lena and f"Entra group {FIELD_SALES}" in told_lena
    assert world.drumbeat.dispatch_now().sent == 2


def test_a_team_the_app_is_in_is_offered_and_its_events_update_the_cache_without_reading_graph(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.emu.add_team(SALES_TEAM, name="Sales", members=[RIA])
    world.emu.add_channel(SALES_TEAM, "Deals")
    assert world.emu.install_in_team(SALES_TEAM).status == 200
    assert world.drumbeat.wait_for_background()  # its channels listed from Graph after the answer
    world.emu.add_channel(SALES_TEAM, "Leads", members=[RIA])  # Teams says so: channelCreated
    form = open_dialog(world, LENA, "broadcast", "Open the broadcast form")
    (groups,) = [element for element in form["body"] if element.get("id") == "groups"]
    titles = [choice["title"] for choice in groups["choices"]]
    assert titles == ["#Deals", "#General", "#Leads", "Teams team Sales"]
    (sales,) = [choice["value"] for choice in groups["choices"] if choice["title"] == "Teams team Sales"]
    before = len(world.emu.inbox(LENA))
    assert submit(world, {**WEEKLY_WEDNESDAY, "groups": sales}, "Schedule") == {}
    assert "Teams team Sales" in told(world, LENA, before)
    reads = world.emu.graph.calls["graph_team_members"]
    assert reads == 1  # read once, as the broadcast was written

    world.emu.add_team_member(SALES_TEAM, JO)
    world.emu.remove_team_member(SALES_TEAM, RIA)
    assert world.emu.graph.calls["graph_team_members"] == reads
    with world.drumbeat.services.unit_of_work() as session:
        cached = session.execute(select(AudienceGroupMember.user_id).join(
            AudienceGroup, AudienceGroup.id == AudienceGroupMember.group_id)
            .where(AudienceGroup.group_id == SALES_TEAM)).scalars().all()
    assert cached == [JO]
    world.clock.advance(FIRST_WEDNESDAY)
    world.drumbeat.tick()
    assert (received(world, RIA), received(world, JO)) == (0, 1)


def test_a_channel_audience_gets_each_member_a_message_and_the_channel_one_post(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.emu.add_team(SALES_TEAM, name="Sales", members=[RIA, JO])
    deals = world.emu.add_channel(SALES_TEAM, "Deals")
    world.emu.install_in_team(SALES_TEAM)
    told_lena = schedule(world, {"message": "win-on-strategy", "group_links": channel_link(world, deals, "Deals"),
                                 "post_to_channels": "true"})
    assert "#Deals" in told_lena and "for 2 people" in told_lena
    world.drumbeat.tick()
    world.drumbeat.tick()  # a second round sends nothing more
    assert (received(world, RIA), received(world, JO)) == (1, 1)
    (post,) = world.emu.channel_messages(deals)
    card = post["attachments"][0]["content"]
    assert "each of you also has it in your chat with Drumbeat" in texts(card)
    assert not card.get("actions")  # no Got it in the channel: acknowledging stays each member's own


def test_exclusions_hold_every_rep_except_an_entra_group(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.emu.add_group(FIELD_SALES, [JO])
    with world.drumbeat.services.unit_of_work() as session:  # a group named before is in the cache, offered
        from bot.teams.audience_groups import entra_group_ref
        from storage.queries.audience_groups import ensure_groups
        (group_id,) = ensure_groups(session, [entra_group_ref(FIELD_SALES, "Field sales")])
    open_dialog(world, LENA, "broadcast", "Open the broadcast form")
    inputs = {"message": "win-on-strategy", "all_reps": "true", "exclude_groups": str(group_id)}
    submit(world, inputs, "Count who it reaches")
    assert world.drumbeat.wait_for_background()
    assert "The audience reaches 1 person now" in texts(submit(world, inputs, "Count who it reaches"))
    before = len(world.emu.inbox(LENA))
    assert submit(world, inputs, "Schedule") == {}
    assert "every rep except Entra group Field sales" in told(world, LENA, before)
    world.drumbeat.tick()
    assert (received(world, RIA), received(world, JO)) == (1, 0)


def test_pasted_groups_and_forged_picks_are_field_errors(world: World) -> None:
    installed(world, LENA)
    open_dialog(world, LENA, "broadcast", "Open the broadcast form")
    card = submit(world, {"message": "win-on-strategy", "group_links": "https://example.com/l/channel/x",
                          "groups": "999999", "post_to_channels": "true"}, "Schedule")
    shown = texts(card)
    assert "is not an Entra group id or a link to a team or channel" in shown
    assert "Pick the groups from the list" in shown
    assert "Pick or paste a channel to post in" in shown


def test_a_team_event_marks_its_channels_stale_and_a_private_channels_event_updates_it(world: World) -> None:
    installed(world, LENA, RIA, JO)
    world.emu.add_team(SALES_TEAM, name="Sales", members=[RIA])
    deals = world.emu.add_channel(SALES_TEAM, "Deals")
    leads = world.emu.add_channel(SALES_TEAM, "Leads", members=[RIA])
    world.emu.install_in_team(SALES_TEAM)
    schedule(world, {**WEEKLY_WEDNESDAY, "group_links": " ".join(
        (channel_link(world, deals, "Deals"), channel_link(world, leads, "Leads")))})

    world.emu.add_team_member(SALES_TEAM, JO)  # Jo is in Deals now (a standard channel), not in Leads
    jo = world.emu.user(JO)
    event = world.emu.team_activity(SALES_TEAM, "channelMemberAdded", membersAdded=[
        {"id": jo.bot_id, "aadObjectId": JO}])
    event["channelData"]["channel"] = {"id": leads}
    assert world.emu.deliver(event).status == 200
    with world.drumbeat.services.unit_of_work() as session:
        rows = {row.label: row for row in session.execute(select(AudienceGroup)).scalars()}
        leads_members = session.execute(select(AudienceGroupMember.user_id)
                                        .where(AudienceGroupMember.group_id == rows["Leads"].id)).scalars().all()
        deals_read = rows["Deals"].refreshed_at
    assert sorted(leads_members) == sorted([RIA, JO])
    assert deals_read is not None and deals_read.year == 2000  # stale: re-read before its next occurrence
    world.clock.advance(FIRST_WEDNESDAY)
    world.drumbeat.tick()
    assert (received(world, RIA), received(world, JO)) == (1, 1)  # once each, though in both channels


def test_a_channel_post_after_the_app_left_its_team_fails_without_a_send(world: World) -> None:
    installed(world, LENA, RIA)
    world.emu.add_team(SALES_TEAM, name="Sales", members=[RIA])
    deals = world.emu.add_channel(SALES_TEAM, "Deals")
    world.emu.install_in_team(SALES_TEAM)
    assert world.emu.remove_from_team(SALES_TEAM).status == 200
    schedule(world, {"message": "win-on-strategy", "group_links": channel_link(world, deals, "Deals"),
                     "post_to_channels": "true"})
    world.drumbeat.tick()
    assert received(world, RIA) == 1 and world.emu.channel_messages(deals) == []
    (post,) = [row for row in world.deliveries() if row.kind == "channel_post"]
    assert post.status == "failed" and "not in that channel's team" in (post.last_error or "")


def test_a_rep_cannot_count_an_audience(world: World) -> None:
    installed(world, RIA)
    world.emu.add_group(FIELD_SALES, [RIA])
    answer = world.emu.deliver(world.emu.activity_for(RIA, "invoke", name="task/submit", value={"data": {
        "action": "broadcast_count", "form": "A" * 22, "group_links": FIELD_SALES}}))
    assert "🚫" in texts(answer.body["task"]["value"]["card"]["content"])
    assert world.drumbeat.wait_for_background()
    assert world.emu.graph.calls["graph_group_transitive_members"] == 0
