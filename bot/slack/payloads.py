"""What a request from Slack must look like before Bolt or a listener reads it: the fields Drumbeat reads, typed.

Why one check here rather than `isinstance` in every listener: Bolt itself reads `user`, `team`, `channel`,
`event`, `view` while building a request (an `"user": 5` was a TypeError inside Bolt, an HTTP 500 with a
traceback, before any listener ran), and listeners read `body["user"]["id"]`, `actions[0]["value"]`, a view's
`state.values`. Slack never sends these with another type; a body that does is forged or broken, and is
refused whole (HTTP 400 over HTTP; acknowledged and dropped in Socket Mode) with the path of the first bad
field. `None` is accepted wherever Slack sends `null` (an unselected option).
"""

from __future__ import annotations

from typing import Any, Final

ANY_KEY: Final = "*"  # a mapping whose keys are ids (a view's block ids, action ids)

_OPTION: Final = {"value": str, "text": {"text": str, "type": str}}
_ACTION: Final = {
    "action_id": str, "block_id": str, "type": str, "value": str, "action_ts": str,
    "selected_option": _OPTION, "selected_options": [_OPTION], "selected_user": str, "selected_users": [str],
    "selected_date": str, "selected_time": str, "selected_conversation": str, "selected_channel": str,
    "selected_conversations": [str],
}
_STATE_VALUE: Final = {**_ACTION, "rich_text_value": dict}
_VIEW: Final = {
    "id": str, "hash": str, "callback_id": str, "private_metadata": str, "type": str, "team_id": str,
    "app_installed_team_id": str, "root_view_id": str, "previous_view_id": str, "external_id": str,
    "blocks": list, "state": {"values": {ANY_KEY: {ANY_KEY: _STATE_VALUE}}},
}
_EVENT: Final = {
    "type": str, "subtype": str, "channel": str, "tab": str, "subteam_id": str, "event_ts": str, "ts": str,
    "text": str, "bot_id": str, "team": str, "user_team": str, "view": _VIEW, "added_users": [str],
    "removed_users": [str], "message": dict, "previous_message": dict, "item": dict, "assistant_thread": dict,
}
SHAPE: Final[dict[str, Any]] = {
    # slash commands (form fields)
    "command": str, "text": str, "user_id": str, "user_name": str, "channel_id": str, "channel_name": str,
    "trigger_id": str, "response_url": str, "team_id": str, "team_domain": str, "api_app_id": str,
    "enterprise_id": str, "ssl_check": str, "token": str,
    # interactions
    "type": str, "user": {"id": str, "team_id": str, "name": str, "username": str},
    "team": {"id": str, "domain": str, "enterprise_id": str}, "enterprise": {"id": str, "name": str},
    "channel": {"id": str, "name": str}, "message": {"ts": str, "text": str, "blocks": list, "user": str},
    "container": {"type": str, "channel_id": str, "message_ts": str, "view_id": str, "is_ephemeral": bool},
    "actions": [_ACTION], "view": _VIEW, "is_enterprise_install": bool, "function_data": dict,
    "authorizations": [{"team_id": str, "user_id": str, "enterprise_id": str, "is_enterprise_install": bool}],
    # events
    "event": _EVENT, "event_id": str, "event_time": int, "challenge": str, "is_ext_shared_channel": bool,
}
_USER_OBJECT: Final = {  # user_change's event.user (other events name the user by id)
    "id": str, "name": str, "real_name": str, "tz": str, "deleted": bool, "is_bot": bool,
    "profile": {"email": str, "real_name": str, "display_name": str},
}
_REQUIRED: Final = {
    "block_actions": (("user", "id"), ("actions",), ("trigger_id",)),
    "view_submission": (("user", "id"), ("view", "id"), ("view", "type"), ("view", "callback_id")),
    "view_closed": (("user", "id"), ("view", "id"), ("view", "type"), ("view", "callback_id")),
    "event_callback": (("event", "type"),),
    # events, by event.type
    "app_home_opened": (("event", "user"),),
    "user_change": (("event", "user", "id"),),
    "subteam_members_changed": (("event", "subteam_id"),),
    "member_joined_channel": (("event", "user"), ("event", "channel")),
    "member_left_channel": (("event", "user"), ("event", "channel")),
}


MAX_ID_DIGITS: Final = 19  # a database id fits in a signed 64-bit integer (anonymous feedback ids are 62-bit)
MAX_ID: Final = 2**63 - 1


def id_of(value: Any) -> int:
    """A database id carried in a payload (a button's value, a modal's private_metadata), or 0 when it is not
    one: ASCII digits only (``'²'.isdigit()`` is True, ``int('²')`` fails), and small enough for the database
    (``99999999999999999999`` overflowed SQLite's INTEGER)."""
    text = value if isinstance(value, str) else ""
    if not text or len(text) > MAX_ID_DIGITS or not text.isascii() or not text.isdigit():
        return 0
    number = int(text)
    return number if number <= MAX_ID else 0


def payload_problem(body: Any) -> str | None:
    """Why `body` cannot be a request from Slack (the first bad field, by path), or None if it can."""
    if not isinstance(body, dict):
        return "the body is not an object"
    kind = body.get("type")
    if kind is None and "command" in body:  # a slash command: form fields, all strings
        return None if isinstance(body.get("user_id"), str) and body["user_id"] else "a command needs user_id"
    problem = _problem(body, SHAPE, "")
    if problem is not None:
        return problem
    event_kind = body["event"].get("type") if kind == "event_callback" and isinstance(body.get("event"), dict) else None
    for path in (*_REQUIRED.get(str(kind), ()), *_REQUIRED.get(str(event_kind), ())):
        value: Any = body
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not value:
            return f"{event_kind or kind} needs {'.'.join(path)}"
    if event_kind is not None:
        user = body["event"].get("user")
        if event_kind == "user_change":
            return _problem(user, _USER_OBJECT, "event.user")
        if user is not None and not isinstance(user, str):
            return "event.user should be a string"
    return None


def _problem(value: Any, shape: Any, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(shape, type):
        if shape is int and isinstance(value, bool) or not isinstance(value, shape):
            return f"{path or 'the body'} should be {'a ' + shape.__name__}"
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{path} should be a list"
        for index, item in enumerate(value[:100]):
            found = _problem(item, shape[0], f"{path}[{index}]")
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return f"{path} should be an object"
    for key, item in value.items():
        inner = shape.get(key, shape.get(ANY_KEY))
        if inner is not None:
            found = _problem(item, inner, f"{path}.{key}" if path else str(key))
            if found:
                return found
    return None


def carries_nul(text: str, *, form: bool) -> bool:
    """Whether a request's body holds a NUL character: raw or JSON-escaped, and in a form body also
    percent-encoded (a literal "%" is "%25" there, so "%00" can only be a NUL). Slack never sends one, and
    PostgreSQL refuses it in any text column, so such a request is malformed, said once here rather than found
    by a query deep in a listener."""
    if "\x00" in text or "\\u0000" in text:
        return True
    return form and ("%00" in text or "%5cu0000" in text.lower())
