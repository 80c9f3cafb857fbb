"""What every use case needs at hand, built once at start and passed down (never a global)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.coaching import CoachingPolicy
from bot.core.feedback import Thresholds
from bot.core.feedback_key import FeedbackKey
from bot.settings import Settings
from schedules.audience_refresh import GroupRefresher
from schedules.materialise import DeliveryRules
from schedules.sending import Outgoing, RateLimited, Sender, SentRef
from storage.db import session_scope
from storage.queries.coaching import SelectionRules


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = field(default=utc_now)
    rules: DeliveryRules = field(default_factory=DeliveryRules)
    # Every platform's Sender behind one (set by the runtime once its platforms are up): for the few messages
    # that must not be outbox rows, like a reply to anonymous feedback, sent to whichever platform reaches them.
    sender: Sender | None = None
    # The anonymity key (bot.core.feedback_key), loaded or made by the runtime at start; never in the database.
    feedback_key: FeedbackKey | None = None
    # Re-reads the platform groups audiences name (Slack user groups, channels) through each platform's reader,
    # set by the runtime once its platforms are up; with no reader the cache is used as it is.
    groups: GroupRefresher = field(default_factory=GroupRefresher)

    def __deepcopy__(self, memo: dict[int, object]) -> Services:
        """Shared, never copied: Bolt deep-copies the context for lazy listeners, and an engine (its pool) and
        the clock must stay the one the runtime owns."""
        return self

    def send(self, outgoing: Outgoing, *, waits: int = 2, longest_wait: float = 10.0) -> SentRef:
        """Send one message now, outside the outbox; a short Retry-After is waited out (as a person is waiting
        for this answer), a long one is the caller's failure to report."""
        if self.sender is None:
            raise RuntimeError("no chat platform is running to send through")
        for attempt in range(waits + 1):
            try:
                return self.sender.send(outgoing)
            except RateLimited as limited:
                if attempt == waits or limited.retry_after > longest_wait:
                    raise
                time.sleep(limited.retry_after)
        raise AssertionError("unreachable")

    @property
    def feedback_thresholds(self) -> Thresholds:
        return Thresholds(self.settings.feedback_min_people, self.settings.feedback_min_people_scores,
                          self.settings.org_timezone, self.settings.on_strategy_flag, self.settings.pipeline_currency)

    @property
    def coaching_policy(self) -> CoachingPolicy:
        settings = self.settings
        return CoachingPolicy(
            hour=settings.coaching_hour,
            selection=SelectionRules(drop_points=settings.coaching_drop_points,
                                     unacknowledged_after=timedelta(days=settings.coaching_unacknowledged_days)),
            rep_waiting=timedelta(days=settings.nudge_after_days),
            rep_every=timedelta(days=settings.nudge_every_days),
            pipeline_flag=settings.on_strategy_flag,
            pipeline_currency=settings.pipeline_currency,
        )

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction per request or job: committed when the block ends, rolled back on error.

        Bolt runs global middleware *before* listeners rather than around them, so a middleware cannot
        commit after a listener; listeners open exactly one unit of work instead, and this is the only
        place that commits.
        """
        with session_scope(self.engine) as session:
            yield session
