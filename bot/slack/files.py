"""Sending a file to someone's DM with Slack's current upload flow (files.getUploadURLExternal, then
completeUploadExternal; slack_sdk's files_upload_v2 does both). files.upload was retired by Slack in 2025."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.render import mrkdwn
from messages.rich import Rich


def upload_to_dm(client: WebClient, *, user_id: str, content: bytes, filename: str, title: str,
                 comment: str | Rich, alt_text: str | None = None) -> str:
    """Returns the id of the file Slack stored. The comment is mrkdwn: through the dialect, so a team's name in it
    is escaped; the title and alt text are plain text."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    arguments: dict[str, object] = {"channel": channel, "file": content, "filename": filename, "title": title,
                                    "initial_comment": mrkdwn(comment)}
    if alt_text:
        arguments["alt_txt"] = alt_text
    response = client.files_upload_v2(**arguments)
    return str(response["files"][0]["id"]) if response.get("files") else str(response["file"]["id"])
