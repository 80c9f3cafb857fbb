"""The Pipeline screen is platform-neutral: Teams' summary card carries the same figures and red flag as Slack."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from bot.core import summaries
from bot.core.words.summary import summary_screen
from bot.teams.answers import screen_card
from storage.db import session_scope
from storage.models import Person
from tests.pipeline.org import NOW, import_both, make_org


def test_a_leaders_organisation_pipeline_renders_as_a_teams_card_with_the_flag(engine: Engine) -> None:
    """West: 22k of 77k open on strategy (29%), under the 30% flag; East: 180k of 280k (64%)."""
    org = make_org(engine)
    import_both(engine)
    with session_scope(engine) as session:
        leader = session.get(Person, org.lena)
        result = summaries.summarise(session, caller=leader, now=NOW,
                                     request=summaries.SummaryRequest(pipeline=True))
        card = screen_card(summary_screen(result, command="drumbeat"))
    text = json.dumps(card, ensure_ascii=False)
    assert "Pipeline · organisation · last 30 days" in text
    assert "**West**: open 29% by value (USD 22,000 of 77,000), 50% by count (1 of 2 deals) ⚠️ **under 30%**" in text
    assert "**East**: open 64% by value (USD 180,000 of 280,000)" in text
