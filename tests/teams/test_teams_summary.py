"""`summary`, `summary @person`, `summary export` and `home` in Teams, end to end through the Teams emulator with
signed activities, on SQLite and PostgreSQL: the figures as an Adaptive Card with every section, then a card with
the Momentum chart as an Image and the CSV as a download, both fetched from the bot's own sealed links as Teams
and a browser would; mentions read from the message's entities; refusals as in Slack."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from storage.models import Person, Role

from .conftest import JO, LENA, RIA, World, card_texts  # noqa: TID252


def installed(world: World, *user_ids: str) -> None:
    for user_id in user_ids:
        assert [response.status for response in world.emu.install_app(user_id)] == [200, 200]


def two_weeks_of_messages(world: World) -> None:
    """Ria and Jo hear a message this week (Ria acknowledges it) and another eight days later: two weeks of
    Momentum, so the team has a chart."""
    installed(world, LENA, RIA, JO)
    world.broadcast_to(RIA, JO)
    world.drumbeat.dispatch_now()
    first = world.emu.inbox(RIA)[0]
    assert world.emu.execute(RIA, first["id"], title="Got it").status == 200
    world.clock.advance(timedelta(days=8))
    world.broadcast_to(RIA, JO)
    assert world.drumbeat.dispatch_now().sent == 2


def typed(world: World, user_id: str, text: str, cards: int, **fields: Any) -> list[dict[str, Any]]:
    """What the person types, and the cards Drumbeat answers with (after the 200), in order."""
    before = len(world.emu.inbox(user_id))
    activity = world.emu.activity_for(user_id, "message", text=text, textFormat="plain", **fields)
    assert world.emu.deliver(activity).status == 200
    world.emu.wait_for(lambda: len(world.emu.inbox(user_id)) >= before + cards, timeout=30)
    assert world.drumbeat.wait_for_background()
    answers = world.emu.inbox(user_id)[before:]
    assert len(answers) == cards
    return [message["attachments"][0]["content"] for message in answers]


def mention(user_id: str, world: World, *, with_object_id: bool = False) -> dict[str, Any]:
    user = world.emu.user(user_id)
    mentioned = {"id": user.bot_id, "name": user.name}
    if with_object_id:
        mentioned["aadObjectId"] = user_id
    return {"type": "mention", "text": f"<at>{user.name}</at>", "mentioned": mentioned}


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def image_and_download(card: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    images = [element for element in card["body"] if element["type"] == "Image"]
    (download,) = card["actions"]
    assert download["type"] == "Action.OpenUrl" and download["title"] == "Download the figures (CSV)"
    return (images[0] if images else None), download["url"]


def test_a_leaders_summary_is_every_section_then_the_chart_and_a_csv_download_served_by_the_bot(world: World) -> None:
    two_weeks_of_messages(world)

    figures, files = typed(world, LENA, "summary East", cards=2)

    text = "\n".join(card_texts(figures))
    for heading in ("**Message**", "**Measure**", "**Feedback**", "**Momentum**"):
        assert heading in text
    assert figures["body"][0]["text"] == "Team East · last 30 days"
    image, csv_url = image_and_download(files)
    assert image is not None and image["url"].startswith(f"{world.drumbeat.settings.teams.public_url}/teams/chart.png?t=")
    assert image["altText"].startswith("Team East: understanding and acknowledgement, week by week.")
    assert "Acknowledgement" in image["altText"]

    status, headers, png = fetch(image["url"])  # as Teams does for the card's Image
    assert status == 200 and headers["Content-Type"] == "image/png" and png.startswith(b"\x89PNG\r\n\x1a\n")

    status, headers, body = fetch(csv_url)  # as the person's browser does for the button
    assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="drumbeat-east-30d-2026-12-02.csv"'
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["section", "item", "measure", "value", "period_days", "since"]
    figures_by_measure = {(row[0], row[1], row[2]): row[3] for row in rows[1:]}
    assert figures_by_measure[("message", "team", "reps")] == "2"
    assert figures_by_measure[("message", "team", "delivered")] == "4"
    assert figures_by_measure[("message", "team", "acknowledged")] == "1"


def test_the_links_refuse_tampering_the_other_file_and_expiry(world: World) -> None:
    two_weeks_of_messages(world)
    _, files = typed(world, LENA, "summary East", cards=2)
    image, csv_url = image_and_download(files)
    assert image is not None
    chart_token = parse_qs(urlparse(image["url"]).query)["t"][0]
    public = world.drumbeat.settings.teams.public_url

    tampered = chart_token[:-4] + ("AAAA" if not chart_token.endswith("AAAA") else "BBBB")
    assert fetch(f"{public}/teams/chart.png?t={tampered}")[0] == 403
    assert fetch(f"{public}/teams/summary.csv?t={chart_token}")[0] == 403  # a chart's ticket opens no CSV
    assert fetch(f"{public}/teams/chart.png")[0] == 403

    world.clock.advance(timedelta(hours=2))  # the CSV's link lasts an hour, the chart's a week
    status, _, body = fetch(csv_url)
    assert status == 403 and b"expired" in body
    assert fetch(image["url"])[0] == 200
    world.clock.advance(timedelta(days=7))
    assert fetch(image["url"])[0] == 403


def test_a_link_checks_the_role_again_when_it_is_opened(world: World) -> None:
    two_weeks_of_messages(world)
    _, files = typed(world, LENA, "summary East", cards=2)
    _, csv_url = image_and_download(files)
    with world.drumbeat.services.unit_of_work() as session:
        lena = session.execute(select(Person).where(Person.email == "lena@example.com")).scalar_one()
        lena.role = Role.REP

    status, _, body = fetch(csv_url)

    assert status == 403 and b"not yours to see" in body


def test_summary_at_a_person_reads_who_from_the_mention_entity(world: World) -> None:
    two_weeks_of_messages(world)

    figures, files = typed(world, LENA, "summary <at>_Ria_ *Star* Bell</at> 30d", cards=2,
                           entities=[mention(RIA, world)])  # only her 29: id: mapped through her conversation

    assert figures["body"][0]["text"] == "\\_Ria\\_ \\*Star\\* Bell · last 30 days"
    assert ("Messages received", "2") in [(fact["title"], fact["value"]) for fact in figures["body"][1]["facts"]]
    image, csv_url = image_and_download(files)
    assert image is None  # a person's figures have no Momentum chart
    status, _, body = fetch(csv_url)
    assert status == 200 and "message,all,acknowledged,1" in body.decode()

    (jo,) = typed(world, LENA, "summary <at>Jo Weber</at>", cards=2, entities=[mention(JO, world, with_object_id=True)])[:1]
    assert jo["body"][0]["text"] == "Jo Weber · last 30 days"


def test_a_rep_asking_about_someone_else_or_a_team_is_refused(world: World) -> None:
    two_weeks_of_messages(world)

    (refused,) = typed(world, RIA, "summary <at>Jo Weber</at>", cards=1, entities=[mention(JO, world)])
    assert card_texts(refused) == ["🚫 Sorry, **Jo Weber** is not in your teams, so their figures are not yours to "
                                   "see. `summary` on its own shows yours."]

    (team,) = typed(world, RIA, "summary East", cards=1)
    assert "team summaries are for managers and leaders" in card_texts(team)[0]

    own, _ = typed(world, RIA, "summary", cards=2)  # her own figures are hers to see
    assert own["body"][0]["text"] == "\\_Ria\\_ \\*Star\\* Bell · last 30 days"


def test_a_mention_drumbeat_cannot_place_is_said_back_not_guessed(world: World) -> None:
    installed(world, LENA)
    stranger = {"type": "mention", "text": "<at>Sam Stone</at>", "mentioned": {"id": "29:1unknown", "name": "Sam Stone"}}

    (answer,) = typed(world, LENA, "summary <at>Sam Stone</at>", cards=1, entities=[stranger])
    assert "I can't use @Sam Stone" in "\n".join(card_texts(answer))

    (no_entity,) = typed(world, LENA, "summary <at>Ria Bell</at>", cards=1)  # text alone names nobody
    assert "I can't use @Ria Bell" in "\n".join(card_texts(no_entity))


def test_summary_export_answers_with_the_download_alone(world: World) -> None:
    two_weeks_of_messages(world)

    (card,) = typed(world, LENA, "<at>Drumbeat</at> summary export East 7d", cards=1,
                    entities=[{"type": "mention", "text": "<at>Drumbeat</at>", "mentioned": world.emu.activity_for(
                        LENA)["recipient"]}])

    image, csv_url = image_and_download(card)
    assert image is None and "drumbeat-east-7d-2026-12-02.csv" in card_texts(card)[0]
    status, _, body = fetch(csv_url)
    assert status == 200 and ",7," in body.decode().splitlines()[1]


def test_without_a_public_url_the_figures_come_alone_and_export_says_why(world: World) -> None:
    two_weeks_of_messages(world)
    services = world.drumbeat.services
    services.settings = replace(services.settings, teams=replace(services.settings.teams, public_url=None))

    (figures,) = typed(world, LENA, "summary East", cards=1)
    assert "**Momentum**" in "\n".join(card_texts(figures))
    (export,) = typed(world, LENA, "summary export East", cards=1)
    assert "TEAMS\\_PUBLIC\\_URL" in card_texts(export)[0]


def test_home_is_the_dashboard_cut_to_the_role(world: World) -> None:
    two_weeks_of_messages(world)

    (rep,) = typed(world, RIA, "home", cards=1)
    rep_text = "\n".join(card_texts(rep))
    assert rep["body"][0]["text"] == "Hi \\_Ria\\_!"
    assert "You have 1 strategy message to acknowledge" in rep_text
    assert "The organisation" not in rep_text

    (leader,) = typed(world, LENA, "home", cards=1)
    leader_text = "\n".join(card_texts(leader))
    assert "The organisation · last 30 days" in leader_text and "**East**: 2 reps" in leader_text


def test_someone_drumbeat_does_not_know_is_told_so(world: World) -> None:
    world.emu.add_user("2c3d4e5f-6071-4c8d-9e0f-a1b2c3d4e5f6", name="New Person")
    installed(world, "2c3d4e5f-6071-4c8d-9e0f-a1b2c3d4e5f6")

    (card,) = typed(world, "2c3d4e5f-6071-4c8d-9e0f-a1b2c3d4e5f6", "home", cards=1)

    assert "directory" in card_texts(card)[0]
