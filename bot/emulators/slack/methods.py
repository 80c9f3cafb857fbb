"""One handler per Web API method.

Handlers run after the dispatcher has checked authentication, the rate limit and
required arguments (see contracts.py), while holding the workspace lock. Each takes
the workspace and the call's arguments and returns a ``Reply`` in Slack's shape:
HTTP 200 with ``{"ok": true, ...}``, or HTTP 200 with ``{"ok": false, "error": code}``
using the code the method's reference documents for that case.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .blockkit import check_message_blocks, check_view
from .state import Channel, Upload, Workspace, assign_ids, slack_message

#: Slack rejects message text longer than this (and truncates at it in places).
MAX_TEXT = 40_000
MAX_MARKDOWN_TEXT = 12_000
MAX_ATTACHMENTS = 100
MAX_HISTORY_LIMIT = 999
MAX_MODAL_STACK = 3


@dataclass
class Reply:
    """What a handler answers, plus the posts the emulator should announce."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)
    #: A plain-text answer instead of the JSON body (response_url and upload endpoints).
    text: str | None = None


def ok(**fields: Any) -> Reply:
    return Reply({"ok": True, **fields})


def fail(error: str, *messages: str, **extra: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error": error, **extra}
    if messages:
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in messages]}
    return Reply(body)


Handler = Callable[[Workspace, dict[str, Any]], Reply]
HANDLERS: dict[str, Handler] = {}


def handles(method: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[method] = fn
        return fn

    return register


# -- argument helpers ----------------------------------------------------------


class _BadJson(Exception):
    pass


def json_arg(args: dict[str, Any], name: str) -> Any:
    """An argument that may arrive as a JSON string (form bodies) or as a value
    (JSON bodies). Raises _BadJson when the string does not parse."""
    value = args.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _BadJson(name) from exc
    return value


def flag(args: dict[str, Any], name: str) -> bool:
    value = args.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def int_arg(args: dict[str, Any], name: str, default: int) -> int:
    """Raises ValueError when present but not an integer."""
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(name)
    return int(value)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int((micros or "0").ljust(6, "0")[:6])


def _ts_bound(raw: Any) -> tuple[int, int] | None:
    """``oldest``/``latest`` as a ts key; None when it is not a number."""
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    whole = int(value)
    return whole, int((value - whole) * 1_000_000)


def _encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _decode_cursor(kind: str, cursor: str) -> str | None:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, sep, value = raw.partition(":")
    return value if sep and prefix == kind and value else None


def notice(kind: str, message: dict[str, Any], *, user_id: str | None, **extra: Any) -> dict[str, Any]:
    """What on_post callbacks receive for one stored post."""
    return {
        "kind": kind,
        "channel": message.get("channel"),
        "ts": message.get("ts"),
        "user_id": user_id,
        "text": message.get("text") or "",
        "blocks": copy.deepcopy(message.get("blocks") or []),
        "metadata": copy.deepcopy(message.get("metadata")),
        "edited": bool(message.get("edited")),
        **extra,
    }


# -- message content -------------------------------------------------------------


@dataclass
class Content:
    text: str | None
    blocks: list[dict[str, Any]] | None
    attachments: list[Any] | None
    metadata: dict[str, Any] | None
    provided: set[str]


def parse_content(args: dict[str, Any], *, attachments_error: str) -> Content | Reply:
    """Validate the text/blocks/attachments/metadata of a message like Slack."""
    provided = {k for k in ("text", "blocks", "attachments", "metadata", "markdown_text") if args.get(k) is not None}
    text = args.get("text")
    if text is not None and not isinstance(text, str):
        text = str(text)
    markdown_text = args.get("markdown_text")
    if markdown_text is not None and not isinstance(markdown_text, str):
        markdown_text = str(markdown_text)
    try:
        blocks = json_arg(args, "blocks")
    except _BadJson:
        return fail("invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        return fail("invalid_blocks_format")
    try:
        attachments = json_arg(args, "attachments")
    except _BadJson:
        return fail(attachments_error)
    if attachments is not None and not isinstance(attachments, list):
        attachments = None  # the reference allows booleans/null here; nothing to show
    if markdown_text and (text or blocks):
        return fail("markdown_text_conflict")
    if not (text or blocks or attachments or markdown_text):
        return fail("no_text")
    if text is not None and len(text) > MAX_TEXT:
        return fail("msg_too_long")
    if markdown_text is not None and len(markdown_text) > MAX_MARKDOWN_TEXT:
        return fail("msg_too_long")
    if blocks:
        problems = check_message_blocks(blocks)
        if problems:
            return fail("invalid_blocks", *problems, errors=problems)
    if attachments is not None and len(attachments) > MAX_ATTACHMENTS:
        return fail("too_many_attachments")
    try:
        metadata = json_arg(args, "metadata")
    except _BadJson:
        return fail("invalid_metadata_format")
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and metadata["event_type"]
        and isinstance(metadata.get("event_payload", {}), dict)
    ):
        return fail("invalid_metadata_schema")
    if metadata is not None:
        metadata = {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload", {})}
    return Content(
        text=text if text is not None else markdown_text,
        blocks=blocks,
        attachments=attachments,
        metadata=metadata,
        provided=provided,
    )


# -- auth --------------------------------------------------------------------------


@handles("auth.test")
def auth_test(ws: Workspace, args: dict[str, Any]) -> Reply:
    bot = ws.users.get(ws.bot_user_id)
    return ok(
        url=f"https://{ws.team_domain}.slack.com/",
        team=ws.team_domain,
        user=bot.name if bot else "bot",
        team_id=ws.team_id,
        user_id=ws.bot_user_id,
        bot_id=ws.bot_id,
        is_enterprise_install=False,
    )


# -- chat --------------------------------------------------------------------------


@handles("chat.postMessage")
def chat_post_message(ws: Workspace, args: dict[str, Any]) -> Reply:
    channel = ws.resolve_channel(args.get("channel"), allow_user=True)
    if channel is None:
        return fail("channel_not_found")
    content = parse_content(args, attachments_error="invalid_arguments")
    if isinstance(content, Reply):
        return content
    thread_ts = args.get("thread_ts") or None
    message = ws.bot_message(
        channel,
        text=content.text or "",
        blocks=content.blocks,
        attachments=content.attachments,
        metadata=content.metadata,
        thread_ts=str(thread_ts) if thread_ts else None,
    )
    reply = ok(channel=channel.id, ts=message["ts"], message=slack_message(message))
    reply.posted.append(notice("chat.postMessage", message, user_id=channel.user))
    return reply


@handles("chat.update")
def chat_update(ws: Workspace, args: dict[str, Any]) -> Reply:
    # Unlike chat.postMessage, chat.update needs the conversation id itself.
    channel = ws.channels.get(str(args.get("channel")))
    if channel is None:
        return fail("channel_not_found")
    message = ws.find_message(channel.id, str(args.get("ts")))
    if message is None:
        return fail("message_not_found")
    if message.get("user") != ws.bot_user_id:
        return fail("cant_update_message")
    content = parse_content(args, attachments_error="invalid_attachments")
    if isinstance(content, Reply):
        return content
    # Fields left out keep their previous value; an empty array removes blocks
    # or attachments (chat.update reference).
    if "text" in content.provided or "markdown_text" in content.provided:
        message["text"] = content.text or ""
    if "blocks" in content.provided:
        message["blocks"] = assign_ids(content.blocks) if content.blocks else None
    if "attachments" in content.provided:
        message["attachments"] = content.attachments or None
    if "metadata" in content.provided:
        message["metadata"] = content.metadata
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.next_ts()}
    reply = ok(channel=channel.id, ts=message["ts"], text=message["text"], message=slack_message(message))
    reply.posted.append(notice("chat.update", message, user_id=channel.user))
    return reply


@handles("chat.postEphemeral")
def chat_post_ephemeral(ws: Workspace, args: dict[str, Any]) -> Reply:
    channel = ws.resolve_channel(args.get("channel"), allow_user=True)
    if channel is None:
        return fail("channel_not_found")
    user_id = str(args.get("user"))
    user = ws.users.get(user_id)
    if user is None or user.deleted or not channel.has_member(user_id):
        return fail("user_not_in_channel")
    content = parse_content(args, attachments_error="invalid_attachments")
    if isinstance(content, Reply):
        return content
    entry = {
        "user_id": user_id,
        "channel": channel.id,
        "ts": ws.next_ts(),
        "text": content.text or "",
        "blocks": assign_ids(content.blocks) if content.blocks else [],
        "attachments": content.attachments or [],
        "thread_ts": args.get("thread_ts") or None,
        "source": "chat.postEphemeral",
        "response_type": "ephemeral",
    }
    ws.ephemerals.append(entry)
    reply = ok(message_ts=entry["ts"])
    reply.posted.append(notice("chat.postEphemeral", entry, user_id=user_id))
    return reply


# -- conversations -------------------------------------------------------------------


def _im_object(ws: Workspace, channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "created": int(channel.created),
        "is_im": channel.kind == "im",
        "is_mpim": channel.kind == "mpim",
        "is_org_shared": False,
        "user": channel.user,
        "is_user_deleted": bool(channel.user and ws.users[channel.user].deleted),
        "priority": 0,
    }


@handles("conversations.open")
def conversations_open(ws: Workspace, args: dict[str, Any]) -> Reply:
    return_im = flag(args, "return_im")
    if args.get("channel"):
        channel = ws.channels.get(str(args["channel"]))
        if channel is None or channel.kind == "channel":
            return fail("channel_not_found")
        return ok(no_op=True, already_open=True, channel=_im_object(ws, channel) if return_im else {"id": channel.id})
    raw = args.get("users")
    users = raw if isinstance(raw, list) else str(raw or "").split(",")
    user_ids = list(dict.fromkeys(u.strip() for u in users if str(u).strip()))
    if not user_ids:
        return fail("users_list_not_supplied")
    if len(user_ids) > 8:
        return fail("too_many_users")
    for user_id in user_ids:
        user = ws.users.get(user_id)
        if user is None:
            return fail("user_not_found")
        if user.deleted:
            return fail("user_disabled")
    prevent = flag(args, "prevent_creation")
    if len(user_ids) == 1:
        existed = user_ids[0] in ws.dm_by_user
        if prevent and not existed:
            return fail("channel_not_found")
        channel = ws.dm_for(user_ids[0])
    else:
        key = frozenset(user_ids)
        existed = key in ws.mpim_by_members
        if prevent and not existed:
            return fail("channel_not_found")
        if not existed:
            channel_id = ws.new_id("G")
            ws.channels[channel_id] = Channel(
                id=channel_id, kind="mpim", name="mpdm-" + "--".join(user_ids), created=ws.clock(), members=user_ids
            )
            ws.mpim_by_members[key] = channel_id
        channel = ws.channels[ws.mpim_by_members[key]]
    body: dict[str, Any] = {"channel": _im_object(ws, channel) if return_im else {"id": channel.id}}
    if existed:
        body.update(no_op=True, already_open=True)
    return ok(**body)


@handles("conversations.history")
def conversations_history(ws: Workspace, args: dict[str, Any]) -> Reply:
    channel = ws.channels.get(str(args.get("channel")))
    if channel is None:
        return fail("channel_not_found")
    bounds: dict[str, tuple[int, int] | None] = {}
    for name, code in (("oldest", "invalid_ts_oldest"), ("latest", "invalid_ts_latest")):
        raw = args.get(name)
        if raw is None or raw == "":
            bounds[name] = None
            continue
        key = _ts_bound(raw)
        if key is None:
            return fail(code)
        bounds[name] = key
    inclusive = flag(args, "inclusive")
    try:
        limit = int_arg(args, "limit", 100)
    except ValueError:
        return fail("invalid_arguments", "invalid value for limit")
    limit = 100 if limit <= 0 else min(limit, MAX_HISTORY_LIMIT)
    before: tuple[int, int] | None = None
    cursor = args.get("cursor")
    if cursor:
        decoded = _decode_cursor("next_ts", str(cursor))
        if decoded is None:
            return fail("invalid_cursor")
        try:
            before = _ts_key(decoded)
        except ValueError:
            return fail("invalid_cursor")

    def wanted(message: dict[str, Any]) -> bool:
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            return False  # thread replies live in conversations.replies
        key = _ts_key(message["ts"])
        oldest, latest = bounds["oldest"], bounds["latest"]
        if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
            return False
        if latest is not None and (key > latest or (key == latest and not inclusive)):
            return False
        return before is None or key < before

    found = sorted((m for m in channel.messages if wanted(m)), key=lambda m: _ts_key(m["ts"]), reverse=True)
    page = found[:limit]
    has_more = len(found) > limit
    include_metadata = flag(args, "include_all_metadata")
    return ok(
        messages=[slack_message(m, include_metadata=include_metadata) for m in page],
        has_more=has_more,
        pin_count=0,
        channel_actions_ts=None,
        channel_actions_count=0,
        response_metadata={"next_cursor": _encode_cursor("next_ts", page[-1]["ts"]) if has_more else ""},
    )


# -- users ---------------------------------------------------------------------------


@handles("users.info")
def users_info(ws: Workspace, args: dict[str, Any]) -> Reply:
    user = ws.users.get(str(args.get("user")))
    if user is None:
        return fail("user_not_found")
    return ok(user=user.to_slack(ws.team_id, include_locale=flag(args, "include_locale")))


@handles("users.list")
def users_list(ws: Workspace, args: dict[str, Any]) -> Reply:
    try:
        limit = int_arg(args, "limit", 0)
    except ValueError:
        return fail("invalid_arguments", "invalid value for limit")
    # "Fewer than the requested number of items may be returned": never more than a page.
    page_size = ws.users_list_page_size if limit <= 0 else min(limit, ws.users_list_page_size)
    everyone = list(ws.users.values())
    start = 0
    cursor = args.get("cursor")
    if cursor:
        user_id = _decode_cursor("user", str(cursor))
        ids = [u.id for u in everyone]
        if user_id is None or user_id not in ids:
            return fail("invalid_cursor")
        start = ids.index(user_id)
    page = everyone[start : start + page_size]
    rest = everyone[start + page_size :]
    include_locale = flag(args, "include_locale")
    return ok(
        members=[u.to_slack(ws.team_id, include_locale=include_locale) for u in page],
        cache_ts=int(ws.clock()),
        response_metadata={"next_cursor": _encode_cursor("user", rest[0].id) if rest else ""},
    )


@handles("usergroups.users.list")
def usergroups_users_list(ws: Workspace, args: dict[str, Any]) -> Reply:
    group = ws.usergroups.get(str(args.get("usergroup")))
    if group is None:
        return fail("no_such_subteam")
    return ok(users=list(group["users"]))


# -- views ---------------------------------------------------------------------------


def _parse_view(args: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, Any] | Reply:
    try:
        view = json_arg(args, "view")
    except _BadJson:
        return fail("invalid_arguments", "failed to parse view as JSON [json-pointer:/view]")
    problems = check_view(view)
    if not problems and view["type"] not in kinds:
        problems = [f"view type {view['type']!r} is not allowed here [json-pointer:/view/type]"]
    if problems:
        return fail("invalid_arguments", *problems)
    return view


def _external_id_taken(ws: Workspace, external_id: str | None, own_id: str | None) -> bool:
    if not external_id:
        return False
    return any(v.get("external_id") == external_id and vid != own_id for vid, v in ws.views.items())


def _build_view(
    ws: Workspace,
    payload: dict[str, Any],
    *,
    view_id: str | None = None,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
) -> dict[str, Any]:
    vid = view_id or ws.new_id("V")
    view: dict[str, Any] = {
        "id": vid,
        "team_id": ws.team_id,
        "type": payload["type"],
        "blocks": assign_ids(payload.get("blocks")),
        "private_metadata": payload.get("private_metadata") or "",
        "callback_id": payload.get("callback_id") or "",
        "state": {"values": {}},
        "hash": ws.new_hash(),
        "clear_on_close": bool(payload.get("clear_on_close", False)),
        "notify_on_close": bool(payload.get("notify_on_close", False)),
        "close": copy.deepcopy(payload.get("close")),
        "submit": copy.deepcopy(payload.get("submit")),
        "title": copy.deepcopy(payload.get("title")),
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or vid,
        "app_id": ws.app_id,
        "external_id": payload.get("external_id") or "",
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }
    return view


def close_modals(ws: Workspace, user_id: str, keep: int = 0) -> None:
    """Close a user's open modals above the first ``keep`` of the stack."""
    stack = ws.modal_stacks.get(user_id, [])
    while len(stack) > keep:
        vid = stack.pop()
        ws.views.pop(vid, None)
        ws.view_owner.pop(vid, None)


def push_modal(ws: Workspace, user_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    stack = ws.modal_stacks.setdefault(user_id, [])
    root = stack[0] if stack else None
    previous = stack[-1] if stack else None
    view = _build_view(ws, payload, root_view_id=root, previous_view_id=previous)
    ws.views[view["id"]] = view
    ws.view_owner[view["id"]] = user_id
    stack.append(view["id"])
    return view


def replace_view(ws: Workspace, current: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """views.update: the new view keeps what the person entered in input blocks whose block_id stays."""
    view = _build_view(
        ws,
        payload,
        view_id=current["id"],
        root_view_id=current["root_view_id"],
        previous_view_id=current["previous_view_id"],
    )
    kept = {block.get("block_id") for block in view.get("blocks") or [] if block.get("type") == "input"}
    entered = (current.get("state") or {}).get("values") or {}
    view["state"] = {"values": {block_id: value for block_id, value in entered.items() if block_id in kept}}
    ws.views[view["id"]] = view
    return view


def _trigger_of(args: dict[str, Any]) -> Any:
    return args.get("trigger_id") or args.get("interactivity_pointer")


def _modal_and_trigger(ws: Workspace, args: dict[str, Any]) -> tuple[dict[str, Any], Any] | Reply:
    """views.open and views.push: a valid modal and a fresh, unused trigger_id (which this exchanges)."""
    payload = _parse_view(args, ("modal",))
    if isinstance(payload, Reply):
        return payload
    if not _trigger_of(args):
        return fail("invalid_arguments", "missing required field: trigger_id")
    if _external_id_taken(ws, payload.get("external_id"), None):
        return fail("duplicate_external_id")
    trigger, error = ws.exchange_trigger(_trigger_of(args))
    if trigger is None:
        return fail(error or "invalid_trigger_id")
    return payload, trigger


@handles("views.open")
def views_open(ws: Workspace, args: dict[str, Any]) -> Reply:
    checked = _modal_and_trigger(ws, args)
    if isinstance(checked, Reply):
        return checked
    payload, trigger = checked
    close_modals(ws, trigger.user_id)
    return ok(view=copy.deepcopy(push_modal(ws, trigger.user_id, payload)))


@handles("views.push")
def views_push(ws: Workspace, args: dict[str, Any]) -> Reply:
    checked = _modal_and_trigger(ws, args)
    if isinstance(checked, Reply):
        return checked
    payload, trigger = checked
    stack = ws.modal_stacks.get(trigger.user_id) or []
    if not stack:
        return fail("not_found")
    if len(stack) >= MAX_MODAL_STACK:
        return fail("push_limit_reached")
    return ok(view=copy.deepcopy(push_modal(ws, trigger.user_id, payload)))


@handles("views.update")
def views_update(ws: Workspace, args: dict[str, Any]) -> Reply:
    view_id = args.get("view_id")
    external_id = args.get("external_id")
    if not view_id and not external_id:
        return fail("invalid_arguments", "either view_id or external_id is required")
    if view_id:
        current = ws.views.get(str(view_id))
    else:
        current = next((v for v in ws.views.values() if v.get("external_id") == external_id), None)
    if current is None:
        return fail("not_found")
    payload = _parse_view(args, (current["type"],))
    if isinstance(payload, Reply):
        return payload
    given_hash = args.get("hash")
    if given_hash and given_hash != current["hash"]:
        return fail("hash_conflict")
    if _external_id_taken(ws, payload.get("external_id"), current["id"]):
        return fail("duplicate_external_id")
    return ok(view=copy.deepcopy(replace_view(ws, current, payload)))


@handles("views.publish")
def views_publish(ws: Workspace, args: dict[str, Any]) -> Reply:
    user_id = str(args.get("user_id"))
    if user_id not in ws.users:
        return fail("user_not_found")
    payload = _parse_view(args, ("home",))
    if isinstance(payload, Reply):
        return payload
    current_id = ws.home_by_user.get(user_id)
    current = ws.views.get(current_id) if current_id else None
    given_hash = args.get("hash")
    if given_hash and current is not None and given_hash != current["hash"]:
        return fail("hash_conflict")
    if _external_id_taken(ws, payload.get("external_id"), current_id):
        return fail("duplicate_external_id")
    view = _build_view(ws, payload, view_id=current_id)
    view["previous_view_id"] = None
    ws.views[view["id"]] = view
    ws.view_owner[view["id"]] = user_id
    ws.home_by_user[user_id] = view["id"]
    return ok(view=copy.deepcopy(view))


# -- files ---------------------------------------------------------------------------


@handles("files.getUploadURLExternal")
def files_get_upload_url_external(ws: Workspace, args: dict[str, Any]) -> Reply:
    try:
        length = int_arg(args, "length", 0)
    except ValueError:
        return fail("invalid_arguments", "invalid value for length")
    if length <= 0:
        return fail("missing_argument")
    alt_txt = args.get("alt_txt")
    if isinstance(alt_txt, str) and len(alt_txt) > 1000:
        return fail("alt_txt_too_large")
    file_id = ws.new_id("F")
    ws.uploads[file_id] = Upload(file_id=file_id, filename=str(args["filename"]), length=length, alt_txt=alt_txt)
    return ok(upload_url=f"{ws.base_url}/upload/{file_id}", file_id=file_id)


@handles("files.completeUploadExternal")
def files_complete_upload_external(ws: Workspace, args: dict[str, Any]) -> Reply:
    try:
        files = json_arg(args, "files")
    except _BadJson:
        return fail("invalid_arguments", "failed to parse files as JSON [json-pointer:/files]")
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
        return fail("invalid_arguments", "files must be an array of objects with an id [json-pointer:/files]")
    uploads = []
    for item in files:
        upload = ws.uploads.get(str(item["id"]))
        if upload is None or upload.data is None or upload.completed:
            return fail("file_not_found")
        uploads.append((upload, item.get("title") or upload.filename))
    channel_ids: list[str] = []
    if args.get("channel_id"):
        channel_ids.append(str(args["channel_id"]))
    raw_channels = args.get("channels")
    if raw_channels:
        listed = raw_channels if isinstance(raw_channels, list) else str(raw_channels).split(",")
        channel_ids.extend(c.strip() for c in listed if str(c).strip())
    channels = []
    for channel_id in dict.fromkeys(channel_ids):
        channel = ws.channels.get(channel_id)
        if channel is None:
            return fail("channel_not_found")
        channels.append(channel)
    try:
        blocks = json_arg(args, "blocks")
    except _BadJson:
        return fail("invalid_blocks")
    if blocks is not None and (not isinstance(blocks, list) or check_message_blocks(blocks)):
        problems = check_message_blocks(blocks) if isinstance(blocks, list) else []
        return fail("invalid_blocks", *problems)
    initial_comment = args.get("initial_comment") or ""
    thread_ts = args.get("thread_ts") or None
    now = int(ws.clock())
    file_objects = []
    for upload, title in uploads:
        upload.completed = True
        extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else "binary"
        file_objects.append(
            {
                "id": upload.file_id,
                "created": now,
                "timestamp": now,
                "name": upload.filename,
                "title": title,
                "filetype": extension,
                "user": ws.bot_user_id,
                "size": len(upload.data or b""),
                "mode": "hosted",
                "is_external": False,
                "is_public": any(c.kind == "channel" for c in channels),
                "url_private": f"{ws.base_url}/files/{upload.file_id}",
                "channels": [c.id for c in channels if c.kind == "channel"],
                "groups": [c.id for c in channels if c.kind == "mpim"],
                "ims": [c.id for c in channels if c.kind == "im"],
            }
        )
    reply = ok(files=copy.deepcopy(file_objects))
    for upload, title in uploads:
        for channel in channels or [None]:
            ws.uploaded_files.append(
                {
                    "file_id": upload.file_id,
                    "filename": upload.filename,
                    "title": title,
                    "bytes": upload.data,
                    "length": upload.length,
                    "channel_id": channel.id if channel else None,
                    "initial_comment": initial_comment,
                    "alt_txt": upload.alt_txt,
                    "thread_ts": thread_ts,
                }
            )
    for channel in channels:
        message = ws.bot_message(
            channel,
            text=str(initial_comment),
            blocks=blocks,
            attachments=None,
            metadata=None,
            thread_ts=str(thread_ts) if thread_ts else None,
            files=copy.deepcopy(file_objects),
        )
        reply.posted.append(notice("files.completeUploadExternal", message, user_id=channel.user))
    return reply
