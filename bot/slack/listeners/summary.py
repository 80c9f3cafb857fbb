"""`/drumbeat summary`: acknowledged at once; the figures follow (ephemeral), then the chart or CSV in the DM.

Like every command, the figures are computed after the acknowledgement (bot.slack.after_ack). Drawing a chart
or writing a CSV comes after the figures, in its own unit of work, and arrives as files uploaded with Slack's
current upload flow. If that later step fails, it is logged; the figures were already answered.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core import commands, summaries
from bot.core.summary_chart import chart_alt_text, chart_filename, chart_png, chart_title, wants_chart
from bot.core.summary_export import export_filename, summary_csv
from bot.services import Services
from bot.slack import replies
from bot.slack.files import upload_to_dm
from bot.slack.respond import CommandCall, Reply

log = logging.getLogger(__name__)

KEPT = "summary"


def answer(call: CommandCall, command: commands.Summary) -> Reply:
    result = summaries.summarise(call.session, caller=call.caller, request=command.request,
                                 now=call.services.clock(), thresholds=call.services.feedback_thresholds)
    call.kept[KEPT] = result  # the chart or CSV after the answer is drawn from these very figures
    if command.request.export:
        return replies.notice(f"The CSV of these figures ({export_filename(result)}) is on its way to our DM.",
                              "file")
    return replies.summary_reply(result, command=call.services.settings.command, chart_coming=wants_chart(result))


def follow_up(parsed: commands.Command, body: dict[str, Any], client: WebClient, services: Services,
              kept: dict[str, Any]) -> None:
    """After the answer: upload the CSV that was asked for, or the Momentum chart, from the figures the answer
    showed (a refused summary keeps none, and gets no follow-up)."""
    result = kept.get(KEPT)
    if not isinstance(parsed, commands.Summary) or result is None:
        return
    user_id = body["user_id"]
    try:
        if parsed.request.export:
            upload_to_dm(client, user_id=user_id, content=summary_csv(result).encode("utf-8"),
                         filename=export_filename(result), title=f"Drumbeat figures, last {result.days} days",
                         comment="Here are the figures you asked for, one row per figure.")
        elif isinstance(result, summaries.TeamSummary) and wants_chart(result):
            upload_to_dm(client, user_id=user_id, content=chart_png(result), filename=chart_filename(result),
                         title=chart_title(result), comment=f"Momentum for team {result.team}, last {result.days} days.",
                         alt_text=chart_alt_text(result))
    except SlackApiError as error:
        log.warning("summary follow-up for %s failed: %s", user_id, error.response.get("error"))


COMMANDS = {commands.Summary: answer}
FOLLOW_UPS = [follow_up]
