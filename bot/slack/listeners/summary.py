"""`/drumbeat summary`: the figures answer at once (ephemeral); the chart and the CSV follow in the DM.

Drawing a chart or writing a CSV is slower than Slack's 3-second acknowledgement allows for comfort, so they run
as a Bolt lazy listener after the acknowledgement, in their own unit of work, and arrive as files uploaded
with Slack's current upload flow. If that later step fails, the person is told in the DM rather than left
waiting.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core import summaries
from bot.core.errors import DrumbeatError
from bot.core.roles import identify
from bot.core.summary_export import export_filename, summary_csv
from bot.core.words.summary import trend_points
from bot.services import Services
from bot.slack.people import slack_address
from bot.slack import replies
from bot.slack.files import upload_to_dm
from bot.slack.parse import CommandLine, parse_summary_words, split_command
from messages.charts import alt_text, has_trend, trend_png

log = logging.getLogger(__name__)


def _summarise(session: Session, services: Services, user_id: str, rest: str) -> tuple[summaries.SummaryRequest, summaries.Summary]:
    caller = identify(session, slack_address(user_id))
    words, person = parse_summary_words(rest)
    request = summaries.parse_summary_args(words, person=person)
    result = summaries.summarise(session, caller=caller, request=request, now=services.clock(),
                                 thresholds=services.feedback_thresholds)
    return request, result


def wants_chart(result: summaries.Summary) -> bool:
    return isinstance(result, summaries.TeamSummary) and has_trend(trend_points(result))


def answer(session: Session, services: Services, user_id: str, line: CommandLine) -> dict[str, Any]:
    request, result = _summarise(session, services, user_id, line.rest)
    if request.export:
        return replies.notice(f"The CSV of these figures ({export_filename(result)}) is on its way to our DM.",
                              ":page_facing_up:")
    return replies.summary_reply(result, command=services.settings.command, chart_coming=wants_chart(result))


def follow_up(command: dict[str, Any], client: WebClient, services: Services) -> None:
    """After the acknowledgement: upload the CSV that was asked for, or the Momentum chart."""
    line = split_command(command.get("text", ""))
    if line.name != "summary":
        return
    user_id = command["user_id"]
    try:
        with services.unit_of_work() as session:
            request, result = _summarise(session, services, user_id, line.rest)
    except DrumbeatError:
        return  # the acknowledgement already said what was wrong
    try:
        if request.export:
            upload_to_dm(client, user_id=user_id, content=summary_csv(result).encode("utf-8"),
                         filename=export_filename(result), title=f"Drumbeat figures, last {result.days} days",
                         comment="Here are the figures you asked for, one row per figure.")
        elif isinstance(result, summaries.TeamSummary) and wants_chart(result):
            title = f"Team {result.team}: understanding and acknowledgement, week by week"
            points = trend_points(result)
            upload_to_dm(client, user_id=user_id, content=trend_png(title, points),
                         filename=f"drumbeat-{export_filename(result).removeprefix('drumbeat-')[:-4]}.png",
                         title=title, comment=f"Momentum for team {result.team}, last {result.days} days.",
                         alt_text=alt_text(title, points))
    except SlackApiError as error:
        log.warning("summary follow-up for %s failed: %s", user_id, error.response.get("error"))
