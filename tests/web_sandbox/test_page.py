"""The page's routes without a browser: what reaches the bot, and what the page shows back."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from bot.demo import demo_person
from bot.web_sandbox.app import build_app
from bot.web_sandbox.session import WebSandbox


@pytest.fixture
def client(web: WebSandbox) -> TestClient:
    return TestClient(build_app(web), base_url="http://127.0.0.1")


def _modal_form(page: str) -> dict[str, str]:
    view_id = re.search(r'name="view_id" value="([^"]+)"', page)
    assert view_id, "no modal is open on the page"
    # What the browser posts for the inputs left as they start (the ticked "local time" box, "Now").
    return {"as": "lena", "view_id": view_id.group(1), "op": "submit", "when.when_input": "now",
            "local_time.local_time_input": "local", "time.time_input": "09:00"}


def test_a_leaders_html_reaches_the_rep_as_text_not_markup(web: WebSandbox, client: TestClient) -> None:
    client.post("/command", data={"as": "lena", "text": "broadcast"})
    form = _modal_form(client.get("/?as=lena").text)
    form.update({"title.title_input": "<script>alert('title')</script>", "people.people_input": "U0REPEA01",
                 "body.body_input": 'Hi <img src=x onerror="alert(1)"> & welcome'})
    client.post("/view", data=form)
    page = client.get("/?as=aiko").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; welcome" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert web.modal(demo_person("lena")) is None  # submitted: the modal closed


def test_the_bots_field_errors_show_next_to_the_inputs_and_keep_what_was_typed(client: TestClient) -> None:
    client.post("/command", data={"as": "lena", "text": "broadcast"})
    form = _modal_form(client.get("/?as=lena").text)
    client.post("/view", data={**form, "title.title_input": "Kept title"})
    page = client.get("/?as=lena").text
    assert re.search(r'data-block="people">.*?class="field-error" role="alert">Say who should get it', page, re.DOTALL)
    assert 'value="Kept title"' in page


def test_a_click_on_got_it_is_the_signed_interaction_and_updates_the_dm(web: WebSandbox, client: TestClient) -> None:
    client.post("/command", data={"as": "lena", "text": "send win-on-strategy to @aiko"})
    message = web.stream(demo_person("aiko"))[-1]
    client.post("/act", data={"as": "aiko", "channel": message["channel"], "ts": message["ts"],
                              "action_id": "delivery_ack", "kind": "button", "label": "Got it"})
    assert "You acknowledged this" in client.get("/?as=aiko").text
    assert web.emulator.calls_named("chat.update")  # the bot answered the click by updating the DM in place


def test_a_csv_the_bot_sends_is_shown_and_downloadable(client: TestClient) -> None:
    client.post("/command", data={"as": "marco", "text": "summary export"})
    page = client.get("/?as=marco").text
    file_id = re.search(r'href="/files/([^"?]+)\?download=1"', page)
    assert file_id and '<table class="csv">' in page
    download = client.get(f"/files/{file_id.group(1)}?download=1")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.text.splitlines()[0].count(",") >= 2


def test_requests_for_another_host_name_are_refused(client: TestClient) -> None:
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_a_click_slack_would_not_allow_becomes_a_notice_not_an_error_page(client: TestClient) -> None:
    answer = client.post("/act", data={"as": "aiko", "channel": "D0NOPE", "ts": "1.0", "action_id": "x",
                                       "kind": "button"}, follow_redirects=True)
    assert answer.status_code == 200
    assert "Slack would not do that: no conversation" in answer.text


def test_the_home_tab_is_what_the_bot_published_and_its_buttons_reach_the_bot(web: WebSandbox,
                                                                              client: TestClient) -> None:
    page = client.post("/home", data={"as": "priya"}, follow_redirects=True).text
    home = web.home_view(demo_person("priya"))
    assert home is not None and 'aria-label="Home tab"' in page
    forms = [dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
             for form in re.findall(r'<form class="element" method="post" action="/act">(.*?)</form>', page, re.DOTALL)]
    button = next((f for f in forms if f.get("kind") == "button" and "eedback" in f.get("label", "")), None)
    assert button, "the Home tab has no feedback button"
    assert button["view_id"] == home["id"]
    client.post("/act", data=button)
    modal = web.modal(demo_person("priya"))
    assert modal is not None and modal["title"]["text"] == "Stop, start, continue"  # the feedback modal
    assert 'role="dialog"' in client.get("/?as=priya&tab=home").text
