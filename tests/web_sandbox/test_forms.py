"""A modal's inputs as form fields and back: the bot gets exactly what Slack would submit."""

from __future__ import annotations

from bot.web_sandbox.forms import change_value, field_of, slack_values

VIEW = {
    "id": "V1",
    "blocks": [
        {"type": "input", "block_id": "message", "dispatch_action": True, "optional": True,
         "label": {"type": "plain_text", "text": "Message"},
         "element": {"type": "static_select", "action_id": "pick", "options": [
             {"text": {"type": "plain_text", "text": "One"}, "value": "one"},
             {"text": {"type": "plain_text", "text": "Two"}, "value": "two"}]}},
        {"type": "input", "block_id": "days", "label": {"type": "plain_text", "text": "Days"},
         "element": {"type": "checkboxes", "action_id": "days_input",
                     "initial_options": [{"text": {"type": "plain_text", "text": "Mon"}, "value": "0"}],
                     "options": [{"text": {"type": "plain_text", "text": "Mon"}, "value": "0"},
                                 {"text": {"type": "plain_text", "text": "Tue"}, "value": "1"}]}},
        {"type": "input", "block_id": "people", "label": {"type": "plain_text", "text": "People"},
         "element": {"type": "multi_users_select", "action_id": "people_input"}},
        {"type": "input", "block_id": "title", "label": {"type": "plain_text", "text": "Title"},
         "element": {"type": "plain_text_input", "action_id": "title_input", "initial_value": "Hello"}},
        {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": "Date"},
         "element": {"type": "datepicker", "action_id": "date_input"}},
    ],
}


def test_posted_fields_become_slack_values_and_an_unticked_box_is_empty() -> None:
    values = slack_values(VIEW, {"message.pick": ["two"], "people.people_input": ["U1", "U2"],
                                 "title.title_input": [""], "date.date_input": ["2026-12-01"]})
    assert values == {"message.pick": "two", "days.days_input": [], "people.people_input": ["U1", "U2"],
                      "title.title_input": None, "date.date_input": "2026-12-01"}


def test_a_field_holds_its_initial_value_until_the_visitor_types_a_draft() -> None:
    days = VIEW["blocks"][1]
    assert field_of(days, {}, {}).chosen == {"0"}
    assert field_of(days, {"days.days_input": ["1"]}, {"days": "Pick a day"}).chosen == {"1"}
    assert field_of(days, {}, {"days": "Pick a day"}).error == "Pick a day"
    people = field_of(VIEW["blocks"][2], {}, {})
    assert ("Aiko Tanaka", "U0REPEA01") in people.options  # a users select offers the demo people


def test_only_an_input_with_dispatch_action_tells_the_bot_when_it_changes() -> None:
    assert change_value(VIEW, "message.pick", {"message.pick": ["one"]}) == ("pick", "one")
    assert change_value(VIEW, "message.pick", {"message.pick": [""]}) is None  # cleared: Slack sends nothing
    assert change_value(VIEW, "title.title_input", {"title.title_input": ["x"]}) is None
