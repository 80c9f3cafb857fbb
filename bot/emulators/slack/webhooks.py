"""The two non-API endpoints the emulator hands out URLs for: response URLs (sent to
the bot with slash commands and message interactions) and file upload URLs (from
files.getUploadURLExternal). Both live on the emulator's loopback server so nothing
ever leaves the machine.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from typing import Any
from urllib.parse import parse_qs

from .blockkit import check_message_blocks
from .methods import MAX_TEXT, Reply, notice
from .state import RESPONSE_URL_MAX_USES, RESPONSE_URL_TTL_SECONDS, Workspace, assign_ids


def _plain(status: int, text: str) -> Reply:
    return Reply(body={}, status=status, text=text)


def _parse_payload(body: bytes, content_type: str) -> dict[str, Any] | None:
    try:
        if "application/x-www-form-urlencoded" in content_type:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            raw = (form.get("payload") or [""])[0]
            parsed = json.loads(raw)
        else:
            parsed = json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def post_to_response_url(ws: Workspace, rid: str, body: bytes, content_type: str) -> Reply:
    """Handle a POST to ``/response/<rid>`` the way Slack treats response_url posts."""
    entry = ws.response_urls.get(rid)
    if entry is None:
        return _plain(404, "no_service")
    payload = _parse_payload(body, content_type)
    record: dict[str, Any] = {
        "response_url_id": rid,
        "user_id": entry.user_id,
        "channel": entry.channel_id,
        "body": payload if payload is not None else body.decode("utf-8", "replace"),
        "at": ws.clock(),
        "accepted": False,
    }
    ws.response_url_posts.append(record)
    if ws.clock() - entry.created_at > RESPONSE_URL_TTL_SECONDS:
        return _plain(404, "expired_url")
    if entry.uses >= RESPONSE_URL_MAX_USES:
        return _plain(404, "used_url")
    if payload is None:
        return _plain(400, "invalid_payload")

    deleting = bool(payload.get("delete_original"))
    text = payload.get("text")
    blocks = payload.get("blocks")
    attachments = payload.get("attachments")
    if not deleting:
        if blocks is not None and not isinstance(blocks, list):
            return _plain(400, "invalid_blocks_format")
        if not (text or blocks or attachments):
            return _plain(400, "no_text")
        if isinstance(text, str) and len(text) > MAX_TEXT:
            return _plain(400, "msg_too_long")
        if blocks and check_message_blocks(blocks):
            return _plain(400, "invalid_blocks")
    entry.uses += 1
    record["accepted"] = True

    reply = _plain(200, "ok")
    original = None
    if entry.message_ts is not None:
        if entry.ephemeral:
            original = next(
                (
                    e
                    for e in ws.ephemerals
                    if e["user_id"] == entry.user_id and e["channel"] == entry.channel_id and e["ts"] == entry.message_ts
                ),
                None,
            )
        else:
            original = ws.find_message(entry.channel_id, entry.message_ts)

    if deleting:
        if original is not None:
            if entry.ephemeral:
                ws.ephemerals.remove(original)
            else:
                ws.channels[entry.channel_id].messages.remove(original)
            reply.posted.append(notice("response_url", original, user_id=entry.user_id, action="delete_original"))
        return reply

    if payload.get("replace_original") and original is not None:
        original["text"] = text or ""
        original["blocks"] = assign_ids(blocks) if blocks else ([] if entry.ephemeral else None)
        original["attachments"] = attachments or ([] if entry.ephemeral else None)
        reply.posted.append(notice("response_url", original, user_id=entry.user_id, action="replace_original"))
        return reply

    channel = ws.channels[entry.channel_id]
    if payload.get("response_type") == "in_channel":
        message = ws.bot_message(
            channel,
            text=text or "",
            blocks=blocks,
            attachments=attachments,
            metadata=None,
            thread_ts=payload.get("thread_ts"),
        )
        reply.posted.append(notice("response_url", message, user_id=channel.user, response_type="in_channel"))
        return reply

    ephemeral = {
        "user_id": entry.user_id,
        "channel": entry.channel_id,
        "ts": ws.next_ts(),
        "text": text or "",
        "blocks": assign_ids(blocks) if blocks else [],
        "attachments": attachments or [],
        "thread_ts": payload.get("thread_ts"),
        "source": "response_url",
        "response_type": "ephemeral",
    }
    ws.ephemerals.append(ephemeral)
    reply.posted.append(notice("response_url", ephemeral, user_id=entry.user_id, response_type="ephemeral"))
    return reply


def _multipart_file(body: bytes, content_type: str) -> bytes | None:
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_filename() or part.get_param("name", header="content-disposition") == "file":
            data = part.get_payload(decode=True)
            return data if isinstance(data, bytes) else None
    return None


def receive_upload(ws: Workspace, file_id: str, body: bytes, content_type: str) -> Reply:
    """Handle the bytes POSTed to an upload_url (raw body, or multipart ``file``)."""
    upload = ws.uploads.get(file_id)
    if upload is None or upload.completed:
        return _plain(404, "file_not_found")
    data = body
    if content_type.startswith("multipart/form-data"):
        extracted = _multipart_file(body, content_type)
        if extracted is None:
            return _plain(400, "missing_file_data")
        data = extracted
    upload.data = data
    return _plain(200, f"OK - {len(data)}")
