"""The Teams page's routes without a browser: what a press posts reaches the bot as the activity Teams would
send, and the page carries each card as data for Microsoft's renderer, never as markup."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.demo import demo_person
from bot.web_sandbox.app import STATIC, build_app
from bot.web_sandbox.session import WebSandbox
from bot.web_sandbox.teams_app import press_of
from bot.web_sandbox.teams_session import Press, TeamsWebSandbox, teams_database
from bot.web_sandbox.tour import run_step


@pytest.fixture
def client(teams_web: TeamsWebSandbox) -> TestClient:
    return TestClient(build_app(teams=teams_web), base_url="http://127.0.0.1")


def _cards(page: str) -> dict[str, dict]:
    """Each message's card as the page hands it to the renderer, by message id."""
    found = re.findall(r'data-card="([^"]+)"><script type="application/json">(.*?)</script>', page, re.S)
    return {where: json.loads(text) for where, text in found}


def test_a_press_posted_by_the_renderer_replaces_the_card_in_place(teams_web: TeamsWebSandbox,
                                                                   client: TestClient) -> None:
    run_step(teams_web, 1)
    run_step(teams_web, 2)
    before = _cards(client.get("/teams/?as=aiko").text)
    (message_id,) = [where for where, card in before.items() if "Got it" in json.dumps(card)]
    client.post("/teams/act", data={"as": "aiko", "message_id": message_id, "kind": "Action.Execute",
                                    "title": "Got it", "verb": "got_it", "inputs": "{}"})
    after = _cards(client.get("/teams/?as=aiko").text)
    assert "You acknowledged this" in json.dumps(after[message_id], ensure_ascii=False)  # the same message id
    assert "Got it" not in json.dumps(after[message_id])


def test_a_button_the_card_does_not_have_is_refused_as_teams_would(teams_web: TeamsWebSandbox,
                                                                    client: TestClient) -> None:
    client.post("/teams/command", data={"as": "lena", "text": "help"})
    (message_id, _), *_ = _cards(client.get("/teams/?as=lena").text).items()
    page = client.post("/teams/act", data={"as": "lena", "message_id": message_id, "kind": "Action.Execute",
                                           "title": "Delete everything", "verb": "purge"}).text  # the redirect's page
    assert "Teams would not do that: the card has no Action.Execute" in page


def test_the_dialog_shows_the_bots_field_errors_and_closes(teams_web: TeamsWebSandbox, client: TestClient) -> None:
    lena = demo_person("lena")
    client.post("/teams/command", data={"as": "lena", "text": "broadcast"})
    (message_id, _), = [(w, c) for w, c in _cards(client.get("/teams/?as=lena").text).items() if w != "dialog"][-1:]
    client.post("/teams/act", data={"as": "lena", "message_id": message_id, "kind": "Action.Submit",
                                    "title": "Open the broadcast form"})
    client.post("/teams/dialog", data={"as": "lena", "kind": "Action.Submit", "title": "Schedule",
                                       "inputs": json.dumps({"when": "now", "time": "09:00"})})
    dialog = _cards(client.get("/teams/?as=lena").text)["dialog"]
    assert "Say who should get it" in json.dumps(dialog)
    client.post("/teams/dialog", data={"as": "lena", "op": "close"})
    assert teams_web.dialog(lena) is None


def test_a_card_reaches_the_page_as_escaped_data_not_markup(teams_web: TeamsWebSandbox, client: TestClient) -> None:
    client.post("/teams/command", data={"as": "lena", "text": "</script><img src=x onerror=alert(1)>"})
    page = client.get("/teams/?as=lena").text
    assert "<img src=x" not in page and page.count("</script>") == page.count("<script")


def test_posted_inputs_that_are_not_an_object_of_texts_are_dropped() -> None:
    assert press_of({"kind": ["Action.Submit"], "inputs": ["[1, 2]"]}).inputs == {}
    assert press_of({"kind": ["Action.Submit"], "inputs": ["not json"]}).inputs == {}
    assert press_of({"kind": ["Action.Submit"], "inputs": ['{"n": 3}']}).inputs == {"n": "3"}
    assert Press("Action.Execute", title="Got it", verb="got_it").how() == {"title": "Got it", "verb": "got_it",
                                                                           "inputs": None}
    assert Press("Action.Submit", title="x", action_id="a1").how() == {"action_id": "a1", "inputs": None}


def test_both_worlds_on_one_page_have_a_switch_and_their_own_files(web: WebSandbox, teams_web: TeamsWebSandbox) -> None:
    client = TestClient(build_app(web, teams_web), base_url="http://127.0.0.1")
    assert 'data-platform="teams"' in client.get("/?as=aiko").text
    assert 'data-platform="slack"' in client.get("/teams/?as=aiko").text
    assert teams_database("drumbeat-sandbox.db") == "drumbeat-sandbox-teams.db"


def test_the_vendored_renderer_is_the_npm_build_its_readme_names() -> None:
    folder = STATIC / "adaptivecards"
    readme = (folder / "README.md").read_text()
    for name in ("adaptivecards.min.js", "markdown-it.min.js", "adaptivecards.css"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert f"`{name}`" in readme and digest in readme, name
    assert "| 3.0.6 |" in readme and "MIT License" in (folder / "adaptivecards.LICENSE").read_text()
    assert not re.search(r"https?://(?!www\.|127\.)", Path(STATIC / "teams.js").read_text())  # nothing fetched
