"""The page's one place that turns the bot's text into HTML: people's text stays text."""

from __future__ import annotations

from bot.web_sandbox.mrkdwn import mrkdwn_html, text_html


def test_html_in_someones_text_is_shown_as_text_never_as_markup() -> None:
    shown = str(mrkdwn_html('<img src=x onerror="alert(1)"> & <script>alert(2)</script>'))
    assert "<img" not in shown and "<script" not in shown
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in shown
    assert "&amp;" in shown


def test_slacks_own_escapes_show_the_characters_they_stand_for_once() -> None:
    assert str(mrkdwn_html("a &lt;b&gt; &amp; c")) == "a &lt;b&gt; &amp; c"


def test_formatting_marks_become_tags_around_escaped_text() -> None:
    shown = str(mrkdwn_html("*bold &lt;i&gt;* _it_ ~gone~ `code`\n&gt; quoted"))
    assert "<b>bold &lt;i&gt;</b>" in shown
    assert "<i>it</i>" in shown and "<s>gone</s>" in shown and "<code>code</code>" in shown
    assert '<br><span class="quote">quoted</span>' in shown


def test_mentions_show_names_and_links_keep_only_web_targets() -> None:
    names = {"U0REPEA01": "Aiko <Tanaka>"}
    shown = str(mrkdwn_html("<@U0REPEA01> see <https://example.com/a?b=1&amp;c=2|the plan> or "
                            "<javascript:alert(1)|this>", names))
    assert '<span class="mention">@Aiko &lt;Tanaka&gt;</span>' in shown
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">the plan</a>' in shown
    assert "javascript:" not in shown.split("&lt;javascript:")[0]
    assert "href=\"javascript" not in shown


def test_emoji_shortcodes_become_characters_in_both_kinds_of_text() -> None:
    assert "✅" in str(mrkdwn_html(":white_check_mark: done"))
    assert str(text_html({"type": "plain_text", "text": ":x: <no>"})) == "❌ &lt;no&gt;"
