"""Block Kit the bot may send, drawn on the page, and picks on it delivered as Slack would."""

from __future__ import annotations

import re

import pytest
from slack_sdk import WebClient
from starlette.testclient import TestClient

from bot.demo import demo_person
from bot.web_sandbox.app import build_app
from bot.web_sandbox.session import WebSandbox


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "Every element"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Fields* and an overflow"},
     "fields": [{"type": "mrkdwn", "text": "*Left*\n1"}, {"type": "mrkdwn", "text": "*Right*\n2"}],
     "accessory": {"type": "overflow", "action_id": "more", "options": [_option("Snooze", "snooze")]}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "context <b>line</b>"}]},
    {"type": "divider"},
    {"type": "image", "image_url": "http://127.0.0.1:9/chart.png", "alt_text": "a chart",
     "title": {"type": "plain_text", "text": "Chart"}},
    {"type": "actions", "elements": [
        {"type": "datepicker", "action_id": "when"},
        {"type": "multi_static_select", "action_id": "teams", "options": [_option("East", "east"), _option("West", "west")]},
        {"type": "users_select", "action_id": "who"}]},
]


@pytest.fixture
def posted(web: WebSandbox) -> dict:
    client = WebClient(token=web.emulator.bot_token, base_url=web.emulator.api_url)
    client.chat_postMessage(channel=demo_person("aiko").slack_id, text="Every element", blocks=BLOCKS)
    return web.stream(demo_person("aiko"))[-1]


def test_each_kind_of_block_and_element_is_drawn(web: WebSandbox, posted: dict) -> None:
    page = TestClient(build_app(web), base_url="http://127.0.0.1").get("/?as=aiko").text
    assert '<h3 class="b-header">Every element</h3>' in page
    assert '<div class="b-fields"><div><b>Left</b><br>1</div>' in page
    assert '<option value="snooze">Snooze</option>' in page and "⋯" in page
    assert "context &lt;b&gt;line&lt;/b&gt;" in page  # tags in text are text
    assert '<hr class="b-divider">' in page and 'alt="a chart"' in page
    assert re.search(r'<input type="date" name="value"[^>]*data-action="when"', page)
    assert re.search(r'<select name="value" multiple data-action="teams">', page)
    assert '<option value="U0REPEA01">Aiko Tanaka</option>' in page


@pytest.mark.parametrize(("action_id", "kind", "values"), [
    ("more", "overflow", ["snooze"]), ("when", "datepicker", ["2026-12-01"]),
    ("teams", "multi_static_select", ["east", "west"]), ("who", "users_select", ["U0REPEA02"]),
])
def test_a_pick_on_any_element_reaches_the_bot_as_a_signed_interaction(web: WebSandbox, posted: dict, action_id: str,
                                                                      kind: str, values: list[str]) -> None:
    client = TestClient(build_app(web), base_url="http://127.0.0.1")
    page = client.post("/act", data={"as": "aiko", "channel": posted["channel"], "ts": posted["ts"],
                                     "action_id": action_id, "kind": kind, "value": values},
                       follow_redirects=True).text
    assert "Slack would not do that" not in page  # the emulator's actor built and signed the interaction
    # ...and the bot received it: it has no listener for these made-up action ids, so Bolt answers 404
    assert "the app did not respond (HTTP 404)" in page
