"""Slack's dialect: plain words escaped, neutral spans as mrkdwn, people pinged only where Slack can reach them."""

from __future__ import annotations

import pytest

from bot.slack import replies
from bot.slack.render import SLACK, SlackMarkup, escape, mrkdwn, plain_text
from messages.filters import truncate_chars
from messages.rich import Code, Emphasis, Icon, Link, Mention, PersonRef, Rich, Strong
from messages.sandbox import make_environment
from storage.address import Address

MARIA = PersonRef("Maria <Ops>", Address("slack", "U0MARIA"))


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<@U123>", "&lt;@U123&gt;"),
        ("<!channel> please read", "&lt;!channel&gt; please read"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("R&D", "R&amp;D"),
        ("&lt; already", "&amp;lt; already"),
        ("plain *bold* text", "plain *bold* text"),
    ],
)
def test_escape_makes_mentions_show_literally(text: str, escaped: str) -> None:
    assert escape(text) == escaped


def test_escape_and_rich_are_available_in_slack_templates() -> None:
    env = make_environment(SLACK.templates_dir, tuple(SLACK.filters.items()))

    assert env.from_string("{{ name | escape }}").render(name="<!channel>") == "&lt;!channel&gt;"
    assert env.from_string("{{ words | rich }}").render(words=Rich(Strong("East"))) == "*East*"


def test_truncate_chars_never_leaves_half_an_escape() -> None:
    escaped = escape("ab<c")  # "ab&lt;c"

    assert truncate_chars(escaped, 5) == "ab…"


def test_rich_escapes_every_plain_string_and_span_text() -> None:
    words = Rich("Hi <!channel> & ", Strong("R&D"), " ", Emphasis("<b>"), " ", Code("a<b"))

    assert mrkdwn(words) == "Hi &lt;!channel&gt; &amp; *R&amp;D* _&lt;b&gt;_ `a&lt;b`"


def test_a_bare_string_is_plain_text_and_none_is_nothing() -> None:
    assert mrkdwn("<@U0BOSS> *hi*") == "&lt;@U0BOSS&gt; *hi*"
    assert mrkdwn(None) == ""


def test_a_person_with_a_slack_account_is_pinged() -> None:
    assert mrkdwn(Rich(Mention(MARIA), " missed it")) == "<@U0MARIA> missed it"


@pytest.mark.parametrize(
    "person",
    [PersonRef("Maria <Ops>"), PersonRef("Maria <Ops>", Address("teams", "29:1abc"))],
    ids=["no account", "another platform"],
)
def test_a_person_slack_cannot_reach_is_named_in_bold_and_escaped(person: PersonRef) -> None:
    assert mrkdwn(Rich(Mention(person))) == "*Maria &lt;Ops&gt;*"


def test_icons_come_from_one_table_and_an_unknown_icon_is_a_bug() -> None:
    assert mrkdwn(Rich(Icon("ok"), " done")) == ":white_check_mark: done"
    assert mrkdwn(Rich(Icon("warning"))) == ":warning:"
    with pytest.raises(KeyError):
        mrkdwn(Rich(Icon("no-such-icon")))


def test_links_keep_their_label_and_escape_both_parts() -> None:
    link = Link("https://x.test/?a=1&b=2", "R&D <plan>")

    assert mrkdwn(Rich(link)) == "<https://x.test/?a=1&amp;b=2|R&amp;D &lt;plan&gt;>"


def test_empty_spans_leave_no_stray_markup() -> None:
    assert mrkdwn(Rich(Strong(""), Code(""), "x")) == "x"


def test_markup_the_adapter_wrote_passes_unescaped() -> None:
    assert mrkdwn(Rich("linked to ", SlackMarkup("<!subteam^S0EAST>"))) == "linked to <!subteam^S0EAST>"


def test_plain_text_fields_keep_commands_readable_and_escape_nothing() -> None:
    words = Rich("R&D ", Code("summary"), " for ", Mention(MARIA), Icon("ok"), " ", Strong("now"))

    assert plain_text(words) == "R&D `summary` for @Maria <Ops> now"


def test_a_notice_shows_an_error_s_references_as_mrkdwn() -> None:
    words = Rich(Mention(MARIA), " is not in your teams. ", Code("summary"), " shows yours.")

    reply = replies.notice(words, "warning")

    assert reply["text"] == "<@U0MARIA> is not in your teams. `summary` shows yours."
    assert reply["blocks"][0]["text"]["text"] == ":warning: <@U0MARIA> is not in your teams. `summary` shows yours."
