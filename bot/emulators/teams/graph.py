"""The emulator as Microsoft Graph (v1.0), for the few reads Drumbeat makes of Entra, written from Graph's
reference pages ("List users", "Get user" / manager, "Get mailboxSettings", "List group members") and its
paging and throttling guides:

- `GET /v1.0/users`: `$select`, `$top` (default 100, at most 999, and at most 100 with `$expand`; a larger
  one is 400), `$expand=manager` (the manager inline, absent when the user has none); paged with an absolute
  `@odata.nextLink` carrying an opaque `$skiptoken`.
- `GET /v1.0/users/{id}`: one user (`$select` honoured, `accountEnabled` among the fields), or 404
  `Request_ResourceNotFound` once the user is deleted: a deleted user leaves `GET /users` at once (Entra keeps
  them 30 days under `/directory/deletedItems`, which Drumbeat does not read).
- `GET /v1.0/users/{id}/manager`: the manager as a directoryObject, or 404 `Request_ResourceNotFound`.
- `GET /v1.0/users/{id}/mailboxSettings`: `timeZone` and the other settings (`$select` honoured); a user
  without an Exchange mailbox gets 404 `MailboxNotEnabledForRESTAPI`, as Graph answers for them.
- `GET /v1.0/groups/{id}/members`: the direct members, users as `#microsoft.graph.user` items and nested groups
  as `#microsoft.graph.group`, paged like users; `GET /v1.0/groups/{id}/transitiveMembers`: the same with the
  nested groups' members too, each once ("List group transitive members").
- `GET /v1.0/teams/{id}/members` and `GET /v1.0/teams/{id}/channels/{channel-id}/members` ("List members of
  team", "List members of a channel"): `#microsoft.graph.aadUserConversationMember` items (`userId`, `roles`,
  an opaque membership `id`), `$top` 1-999 (default 100), paged by `@odata.nextLink`; a standard channel's members
  are its team's, a private channel's its own; an unknown team or channel is 404 `NotFound`.
- `GET /v1.0/teams/{id}/channels`: the team's channels (`id`, `displayName`, `membershipType`), in one page.
- `GET /v1.0/groups/{id}`, `/teams/{id}`, `/teams/{id}/channels/{channel-id}`: `id` and `displayName`.

Every call needs an app-only token for `https://graph.microsoft.com` from the emulator's token service (401
`InvalidAuthenticationToken` otherwise) and sees its own tenant's people only. Faults (`graph_users`,
`graph_user`, `graph_manager`, `graph_mailbox_settings`, `graph_group_members`, `graph_group_transitive_members`,
`graph_team_members`, `graph_channel_members`, `graph_channels`, `graph_group`, `graph_team`, `graph_channel`)
answer with Graph's error body and `Retry-After` (429 `TooManyRequests`, 503 `serviceNotAvailable`, ...). Every call is counted in `calls`.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .faults import FaultBook
from .server import Answer, Incoming
from .state import Directory, User

GRAPH_PREFIX = "/v1.0"
DEFAULT_PAGE = 100
MAX_PAGE = 999
MAX_EXPANDED_PAGE = 100
#: What `GET /users` returns when no `$select` is given (Graph's default set, those the emulator has).
DEFAULT_FIELDS = ("id", "displayName", "givenName", "surname", "mail", "userPrincipalName", "preferredLanguage")
GRAPH_CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Authorization_RequestDenied",
               404: "Request_ResourceNotFound", 429: "TooManyRequests", 500: "InternalServerError",
               503: "serviceNotAvailable", 504: "GatewayTimeout"}

_ROUTES = [
    (re.compile(r"^/users$"), "graph_users"),
    (re.compile(r"^/users/(?P<id>[^/]+)$"), "graph_user"),
    (re.compile(r"^/users/(?P<id>[^/]+)/manager$"), "graph_manager"),
    (re.compile(r"^/users/(?P<id>[^/]+)/mailboxSettings$"), "graph_mailbox_settings"),
    (re.compile(r"^/groups/(?P<id>[^/]+)/members$"), "graph_group_members"),
    (re.compile(r"^/groups/(?P<id>[^/]+)/transitiveMembers$"), "graph_group_transitive_members"),
    (re.compile(r"^/teams/(?P<id>[^/]+)/members$"), "graph_team_members"),
    (re.compile(r"^/teams/(?P<id>[^/]+)/channels/(?P<channel>[^/]+)/members$"), "graph_channel_members"),
    (re.compile(r"^/teams/(?P<id>[^/]+)/channels$"), "graph_channels"),
    (re.compile(r"^/groups/(?P<id>[^/]+)$"), "graph_group"),
    (re.compile(r"^/teams/(?P<id>[^/]+)$"), "graph_team"),
    (re.compile(r"^/teams/(?P<id>[^/]+)/channels/(?P<channel>[^/]+)$"), "graph_channel"),
]
NOT_THERE = "Resource '{}' does not exist or one of its queried reference-property objects are not present."

GROUP_OPERATIONS = ("graph_group_members", "graph_group_transitive_members")
TEAM_MEMBERS, CHANNEL_MEMBERS = "graph_team_members", "graph_channel_members"
NAMED = ("graph_group", "graph_team", "graph_channel")

BearerCheck = Callable[[str], "dict[str, Any] | str"]


def graph_error(status: int, message: str, code: str | None = None) -> Answer:
    headers = {"Retry-After": "2"} if status in (429, 503) else {}
    return Answer.json(status, {"error": {"code": code or GRAPH_CODES.get(status, "UnknownError"), "message": message,
                                          "innerError": {"date": "", "request-id": "emulator"}}}, headers)


class Graph:
    def __init__(self, directory: Directory, *, bearer: BearerCheck, faults: FaultBook,
                 base_url: Callable[[], str]) -> None:
        self.d = directory
        self.bearer = bearer
        self.faults = faults
        self.base_url = base_url
        self.calls: Counter[str] = Counter()

    def handle(self, request: Incoming) -> Answer | None:
        """The answer to a `/v1.0/...` request; None when no Graph route matches."""
        path = request.path[len(GRAPH_PREFIX):]
        for pattern, operation in _ROUTES:
            found = pattern.match(path)
            if found and request.method == "GET":
                self.calls[operation] += 1
                ids = {key: unquote(value) for key, value in found.groupdict().items()}
                return self._gate(request, operation, ids.get("id"), ids.get("channel"))
        return None

    def _gate(self, request: Incoming, operation: str, object_id: str | None, channel_id: str | None) -> Answer:
        fault = self.faults.take(operation)
        if fault is not None:
            time.sleep(fault.wait_seconds())
            if fault.reset:
                return Answer(reset=True)
            if not fault.only_delays:
                answer = graph_error(fault.status or 500, "injected fault", fault.code)
                if "Retry-After" in answer.headers:
                    answer.headers["Retry-After"] = str(fault.retry_after)
                return answer
        claims = self.bearer(request.headers.get("authorization", ""))
        if isinstance(claims, str):
            return graph_error(401, f"Access token validation failure. ({claims})")
        tenant = str(claims.get("tid") or "")
        params = request.params
        with self.d.lock:
            if operation == "graph_users":
                return self._list(request, self._users(tenant), params, expand=_expand(params))
            if operation in GROUP_OPERATIONS:
                return self._group(request, operation, str(object_id).lower(), tenant, params)
            if operation == "graph_channels":
                return self._channels(str(object_id).lower(), tenant)
            if operation in NAMED:
                return self._named(operation, str(object_id).lower(), channel_id, tenant, params)
            if operation in (TEAM_MEMBERS, CHANNEL_MEMBERS):
                return self._team(request, str(object_id).lower(), channel_id, tenant, params)
            user = self.d.users.get(str(object_id).lower())
            if user is None or user.tenant_id != tenant or user.deleted:
                return graph_error(404, f"Resource '{object_id}' does not exist or one of its queried "
                                        "reference-property objects are not present.")
            if operation == "graph_user":
                return Answer.json(200, {"@odata.context": f"{self._root()}/$metadata#users/$entity",
                                         **_fields(user, _select(params))})
            if operation == "graph_manager":
                manager = self.d.users.get(user.manager_id or "")
                if manager is None or manager.deleted:
                    return graph_error(404, "Resource 'manager' does not exist or one of its queried "
                                            "reference-property objects are not present.")
                return Answer.json(200, {"@odata.context": f"{self._root()}/$metadata#directoryObjects/$entity",
                                         **_typed(_fields(manager, _select(params)))})
            return self._mailbox(user, params)

    def _group(self, request: Incoming, operation: str, group_id: str, tenant: str,
               params: dict[str, str]) -> Answer:
        """An Entra group's members: direct (users and nested groups) or transitive (every user once, and the
        nested groups)."""
        if group_id not in self.d.groups:
            return graph_error(404, NOT_THERE.format(group_id))
        if operation == "graph_group_members":
            direct = self.d.groups[group_id]
        else:
            direct = [*self.d.group_users(group_id), *sorted(_walk(self.d.groups, group_id))]
        items = [_group_item(m) if m in self.d.groups else _typed(_fields(user, _select(params)))
                 for m in direct if m in self.d.groups or ((user := self.d.users.get(m)) is not None
                                                            and user.tenant_id == tenant
                                                            and not user.deleted)]
        return self._page(request, items, params, context="directoryObjects")

    def _channels(self, team_id: str, tenant: str) -> Answer:
        team = self.d.teams.get(team_id)
        if team is None or team.tenant_id != tenant:
            return graph_error(404, f"No team found with Group Id {team_id}", "NotFound")
        return Answer.json(200, {"@odata.context": f"{self._root()}/$metadata#teams('{team.id}')/channels",
                                 "value": [{"id": c.id, "displayName": c.name,
                                            "membershipType": "standard" if c.members is None else "private"}
                                           for c in team.channels.values()]})

    def _named(self, operation: str, object_id: str, channel_id: str | None, tenant: str,
               params: dict[str, str]) -> Answer:
        """One group, team or channel (`id`, `displayName`; `$select` honoured)."""
        team = self.d.teams.get(object_id)
        if operation == "graph_group":
            found = (object_id, self.d.group_names.get(object_id, "")) if object_id in self.d.groups else None
        elif team is None or team.tenant_id != tenant:
            found = None
        elif operation == "graph_team":
            found = (team.id, team.name)
        else:
            channel = team.channels.get(channel_id or "")
            found = (channel.id, channel.name) if channel is not None else None
        if found is None:
            return graph_error(404, NOT_THERE.format(channel_id or object_id), "NotFound")
        item = {"id": found[0], "displayName": found[1] or None}
        select = _select(params)
        return Answer.json(200, {k: v for k, v in item.items() if not select or k in select or k == "id"})

    def _team(self, request: Incoming, team_id: str, channel_id: str | None, tenant: str,
              params: dict[str, str]) -> Answer:
        team = self.d.teams.get(team_id)
        if team is None or team.tenant_id != tenant:
            return graph_error(404, f"No team found with Group Id {team_id}", "NotFound")
        members = team.members
        if channel_id is not None:
            channel = team.channels.get(channel_id)
            if channel is None:
                return graph_error(404, f"Channel {channel_id} not found in team {team_id}", "NotFound")
            members = team.channel_members(channel)
        items = [_conversation_member(user, team_id) for user in (self.d.users.get(m) for m in members)
                 if user is not None and not user.deleted]
        return self._page(request, items, params, context="teams/members")

    def _page(self, request: Incoming, items: list[dict[str, Any]], params: dict[str, str], *,
              context: str) -> Answer:
        """One page of ready items (`$top` 1-999, default 100), with the next link while more remain."""
        state, params, problem = self._paging(params)
        if problem is not None:
            return problem
        top = int(params.get("$top", DEFAULT_PAGE))
        offset = state["offset"] if state is not None else 0
        body: dict[str, Any] = {"@odata.context": f"{self._root()}/$metadata#{context}",
                                "value": items[offset:offset + top]}
        if offset + top < len(items):
            body["@odata.nextLink"] = self._next_link(request, offset + top, params)
        return Answer.json(200, body)

    def _paging(self, params: dict[str, str], limit: int = MAX_PAGE) -> tuple[dict[str, Any] | None, dict[str, str],
                                                                             Answer | None]:
        """(the skip token's state, the query it stands for, or the 400 Graph gives a bad token or `$top`)."""
        state = _decode_skiptoken(params.get("$skiptoken")) if "$skiptoken" in params else None
        if "$skiptoken" in params and state is None:
            return None, params, graph_error(400, "Invalid skip token.", "Directory_InvalidSkipToken")
        if state is not None:
            params = state["params"]
        try:
            top = int(params.get("$top", DEFAULT_PAGE))
        except ValueError:
            return None, params, graph_error(400, f"Invalid value '{params.get('$top')}' for $top.")
        if not 1 <= top <= limit:
            return None, params, graph_error(400, f"Invalid page size specified: '{top}'. Must be between 1 and "
                                                  f"{limit} inclusive.")
        return state, params, None

    def _next_link(self, request: Incoming, offset: int, params: dict[str, str]) -> str:
        token = _encode_skiptoken({"offset": offset, "params": params})
        return f"{self._root()}{request.path[len(GRAPH_PREFIX):]}?$skiptoken={token}"

    def _users(self, tenant: str) -> list[User]:
        return sorted((u for u in self.d.users.values() if u.tenant_id == tenant and not u.deleted),
                      key=lambda u: u.aad_object_id)

    def _list(self, request: Incoming, items: list[User], params: dict[str, str], *, expand: str | None) -> Answer:
        state, params, problem = self._paging(params, MAX_EXPANDED_PAGE if expand else MAX_PAGE)
        if problem is not None:
            return problem
        top = int(params.get("$top", DEFAULT_PAGE))
        offset = state["offset"] if state is not None else 0
        select = _select(params)
        value = []
        for user in items[offset:offset + top]:
            item = _fields(user, select)
            if expand == "manager" and (manager := self.d.users.get(user.manager_id or "")) is not None \
                    and not manager.deleted:
                item["manager"] = _typed(_fields(manager, _expand_select(params)))
            value.append(item)
        body: dict[str, Any] = {"@odata.context": f"{self._root()}/$metadata#users", "value": value}
        if offset + top < len(items):
            body["@odata.nextLink"] = self._next_link(request, offset + top, params)
        return Answer.json(200, body)

    def _mailbox(self, user: User, params: dict[str, str]) -> Answer:
        if user.mailbox_time_zone is None:
            return graph_error(404, "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
                               "MailboxNotEnabledForRESTAPI")
        settings = {"timeZone": user.mailbox_time_zone, "dateFormat": "dd.MM.yyyy", "timeFormat": "HH:mm",
                    "language": {"locale": user.locale, "displayName": user.locale},
                    "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly"}
        select = _select(params)
        if select:
            settings = {k: v for k, v in settings.items() if k in select}
        return Answer.json(200, {"@odata.context": f"{self._root()}/$metadata#users('{user.aad_object_id}')"
                                                   "/mailboxSettings", **settings})

    def _root(self) -> str:
        return self.base_url() + GRAPH_PREFIX


def _fields(user: User, select: tuple[str, ...]) -> dict[str, Any]:
    given = user.given_name or user.name.split(" ")[0]
    surname = user.surname or (user.name.split(" ", 1)[1] if " " in user.name else None)
    every = {"id": user.aad_object_id, "displayName": user.name, "givenName": given, "surname": surname,
             "mail": user.email, "userPrincipalName": user.email or f"{user.aad_object_id}@emulator.invalid",
             "preferredLanguage": user.locale, "accountEnabled": user.account_enabled, "userType": "Member"}
    return {name: every[name] for name in (select or DEFAULT_FIELDS) if name in every}


def _walk(groups: dict[str, list[str]], group_id: str, seen: set[str] | None = None) -> list[str]:
    """Every group nested in this one, at any depth, each once."""
    seen = set() if seen is None else seen
    for member in groups.get(group_id, []):
        if member in groups and member not in seen:
            seen.add(member)
            _walk(groups, member, seen)
    return list(seen)


def _group_item(group_id: str) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.group", "id": group_id}


def _conversation_member(user: User, team_id: str) -> dict[str, Any]:
    """A member of a team or channel as Graph shows one (the membership id is opaque: base64 of who and where)."""
    membership = base64.b64encode(f"{team_id}##{user.aad_object_id}".encode()).decode()
    return {"@odata.type": "#microsoft.graph.aadUserConversationMember", "id": membership, "roles": [],
            "displayName": user.name, "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
            "userId": user.aad_object_id, "email": user.email, "tenantId": user.tenant_id}


def _typed(item: dict[str, Any]) -> dict[str, Any]:
    return {"@odata.type": "#microsoft.graph.user", **item}


def _select(params: dict[str, str]) -> tuple[str, ...]:
    return tuple(name.strip() for name in params.get("$select", "").split(",") if name.strip())


def _expand(params: dict[str, str]) -> str | None:
    raw = params.get("$expand", "").strip()
    return raw.split("(", 1)[0].strip() or None


def _expand_select(params: dict[str, str]) -> tuple[str, ...]:
    """`$expand=manager($select=id,displayName)`: the fields of the expanded manager (Graph's default: all)."""
    found = re.search(r"\$select=([^;)]*)", params.get("$expand", ""))
    return tuple(n.strip() for n in found.group(1).split(",") if n.strip()) if found else ()


def _encode_skiptoken(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _decode_skiptoken(token: str | None) -> dict[str, Any] | None:
    try:
        state = json.loads(base64.urlsafe_b64decode((token or "") + "=" * (-len(token or "") % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("offset"), int) or not isinstance(state.get("params"), dict):
        return None
    return state
