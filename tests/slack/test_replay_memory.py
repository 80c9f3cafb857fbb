"""The in-memory replay cache: a signature is refused again within the window, forgotten after it, and the
memory it takes is bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.slack.replay import SeenSignatures
from storage.queries.receipts import SIGNATURES_KEPT

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


def test_a_signature_is_refused_again_within_the_window_and_accepted_after_it() -> None:
    seen = SeenSignatures()
    assert seen.first_time("v0=abc", NOW)
    assert not seen.first_time("v0=abc", NOW + timedelta(seconds=2))
    assert not seen.first_time("v0=abc", NOW + SIGNATURES_KEPT - timedelta(seconds=1))
    # Slack refuses a signature older than 5 minutes itself; past twice that, remembering it is useless.
    assert seen.first_time("v0=abc", NOW + SIGNATURES_KEPT + timedelta(seconds=1))


def test_old_signatures_are_dropped_as_new_ones_arrive() -> None:
    seen = SeenSignatures()
    for n in range(100):
        seen.first_time(f"v0={n}", NOW + timedelta(seconds=n))
    seen.first_time("v0=later", NOW + SIGNATURES_KEPT + timedelta(seconds=50))
    assert len(seen) == 51  # the first 50 fell out of the window; the other 50 and the new one remain


def test_memory_is_bounded_oldest_first() -> None:
    seen = SeenSignatures(limit=3)
    for n in range(5):
        seen.first_time(f"v0={n}", NOW)
    assert len(seen) == 3
    assert seen.first_time("v0=0", NOW)  # the oldest was forgotten first
    assert not seen.first_time("v0=4", NOW)
