"""A small Microsoft Graph client for what Drumbeat reads from Entra: the tenant's users (with their managers),
one user's mailbox settings (their time zone), and the members of an Entra group, a Team or a channel
(audiences).

Why not the Graph SDK: `msgraph-sdk` brings the Kiota stack and models of every Graph resource for four GET
calls, and no way to point it at a loopback emulator without its own auth provider; these calls are plain
OData over httpx (already installed with the Teams SDK). Every call goes to `TEAMS_GRAPH_URL` (default
`https://graph.microsoft.com`, the emulator's root in tests, a national cloud's elsewhere) with an app-only token
from the same client-credentials grant as the connector's (`bot.teams.tokens`), scope
`https://graph.microsoft.com/.default`.

Paging follows `@odata.nextLink` (an absolute URL to use as given: its `$skiptoken` is opaque). Throttling is
Graph's: 429 (and 503/504 when busy) with `Retry-After` seconds, waited out up to a budget of waits per walk,
then `GraphError`; nothing here loops for ever. `iter_collection` is the one pager: `users`, `group_members`
and anything later that lists (an Entra-group audience, say) go through it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
THROTTLED = frozenset({429, 503, 504})
#: Graph's page limits: 999 users a page, but only 100 when a relation such as `manager` is expanded.
USERS_PAGE = 999
EXPANDED_PAGE = 100
USER_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled,userType"
USER_TYPE = "#microsoft.graph.user"
#: A team's and a channel's members are conversationMembers: 100 a page by default, at most 999.
MEMBERS_PAGE = 999
AAD_MEMBER_TYPE = "#microsoft.graph.aadUserConversationMember"

TokenSource = Callable[[str, str | None], str]


class GraphError(RuntimeError):
    """Graph refused or kept throttling; the message has its status and error code."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class GraphUser:
    """One user as the directory sync needs them."""

    id: str  # the Entra object id (lower case): Drumbeat's Teams user id
    name: str
    email: str | None
    enabled: bool
    manager_id: str | None  # None: no manager in Entra, or not read


class GraphClient:
    def __init__(self, token: TokenSource, *, tenant_id: str, base_url: str = DEFAULT_GRAPH_URL,
                 timeout: float = 15.0, max_waits: int = 10, sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.token = token
        self.tenant_id = tenant_id
        self.root = base_url.rstrip("/") + "/v1.0"
        self.max_waits = max_waits
        self.sleep = sleep
        self.calls = 0  # how many requests this client sent (throttled ones included): what a sync cost
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    # -- what Drumbeat reads ---------------------------------------------------------------------
    def users(self, *, with_manager: bool = True) -> Iterator[GraphUser]:
        """Every user of the tenant, page by page (`$expand=manager` caps a page at 100)."""
        params = {"$select": USER_FIELDS, "$top": str(EXPANDED_PAGE if with_manager else USERS_PAGE)}
        if with_manager:
            params["$expand"] = "manager($select=id)"
        for item in self.iter_collection("/users", params):
            user = _user(item)
            if user is not None:
                yield user

    def user(self, user_id: str) -> GraphUser | None:
        """One user (`GET /users/{id}`), or None when Entra has no such user: deleted (404)."""
        try:
            answer = self.get(f"/users/{quote(user_id)}", {"$select": USER_FIELDS})
        except GraphError as error:
            if error.status == 404:
                return None
            raise
        return _user(answer) if isinstance(answer, dict) else None

    def mailbox_time_zone(self, user_id: str) -> str | None:
        """The zone name the user's mailbox settings give (often a Windows name); None without a mailbox."""
        try:
            answer = self.get(f"/users/{quote(user_id)}/mailboxSettings", {"$select": "timeZone"})
        except GraphError as error:
            if error.status in (403, 404):  # no Exchange mailbox (MailboxNotEnabledForRESTAPI), or a guest
                return None
            raise
        zone = answer.get("timeZone") if isinstance(answer, dict) else None
        return str(zone) if zone else None

    def manager_id(self, user_id: str) -> str | None:
        """One user's manager (`GET /users/{id}/manager`); None when Entra has none (404)."""
        try:
            answer = self.get(f"/users/{quote(user_id)}/manager", {"$select": "id"})
        except GraphError as error:
            if error.status == 404:
                return None
            raise
        return str(answer.get("id") or "").lower() or None if isinstance(answer, dict) else None

    def group_members(self, group_id: str) -> Iterator[str]:
        """The Entra object ids of a group's user members, nested groups' members included
        (`/groups/{id}/transitiveMembers`: an Entra-group audience means everyone in it; devices, service
        principals and the nested groups themselves are not people)."""
        params = {"$select": "id", "$top": str(USERS_PAGE)}
        for item in self.iter_collection(f"/groups/{quote(group_id)}/transitiveMembers", params):
            if item.get("@odata.type", USER_TYPE) == USER_TYPE and item.get("id"):
                yield str(item["id"]).lower()

    def team_members(self, team_id: str) -> Iterator[str]:
        """The Entra object ids of a Team's members (`/teams/{id}/members`, 999 a page: Graph's cap)."""
        yield from _conversation_members(self.iter_collection(f"/teams/{quote(team_id)}/members",
                                                              {"$top": str(MEMBERS_PAGE)}))

    def channel_members(self, team_id: str, channel_id: str) -> Iterator[str]:
        """The Entra object ids of a channel's direct members (`/teams/{id}/channels/{id}/members`: a standard
        channel's are its team's, a private or shared channel's its own)."""
        path = f"/teams/{quote(team_id)}/channels/{quote(channel_id, safe='')}/members"
        yield from _conversation_members(self.iter_collection(path, {"$top": str(MEMBERS_PAGE)}))

    def channels(self, team_id: str) -> Iterator[tuple[str, str]]:
        """(id, displayName) of a team's channels (`/teams/{id}/channels`), for the broadcast form to offer."""
        for item in self.iter_collection(f"/teams/{quote(team_id)}/channels", {"$select": "id,displayName"}):
            if item.get("id"):
                yield str(item["id"]), str(item.get("displayName") or "")[:200]

    def display_name(self, path: str) -> str | None:
        """The `displayName` of one group, team or channel (`/groups/{id}`, `/teams/{id}`,
        `/teams/{id}/channels/{id}`), None when Graph will not show it (403/404)."""
        try:
            answer = self.get(path, {"$select": "displayName"})
        except GraphError as error:
            if error.status in (403, 404):
                return None
            raise
        name = answer.get("displayName") if isinstance(answer, dict) else None
        return str(name)[:200] if name else None

    # -- OData plumbing --------------------------------------------------------------------------------
    def iter_collection(self, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink` as given."""
        url: str | None = self.root + path
        query: dict[str, str] | None = params
        while url:
            page = self._request(url, query)
            query = None  # the next link carries the whole query
            for item in page.get("value") or []:
                if isinstance(item, dict):
                    yield item
            url = page.get("@odata.nextLink") or None

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._request(self.root + path, params)

    def _request(self, url: str, params: dict[str, str] | None) -> Any:
        waits = 0
        while True:
            self.calls += 1
            headers = {"Authorization": f"Bearer {self.token(GRAPH_SCOPE, self.tenant_id)}",
                       "Accept": "application/json"}
            try:
                response = self._http.get(url, params=params, headers=headers)
            except httpx.HTTPError as error:
                raise GraphError(f"Microsoft Graph did not answer: {error or type(error).__name__}") from error
            if response.status_code in THROTTLED and waits < self.max_waits:
                waits += 1
                wait = _retry_after(response)
                log.info("Microsoft Graph throttled (HTTP %s): waiting %.0f s", response.status_code, wait)
                self.sleep(wait)
                continue
            if response.status_code >= 400:
                raise _error(response)
            try:
                return response.json()
            except ValueError as error:
                raise GraphError(f"Microsoft Graph answered something that is not JSON ({url})") from error


def _user(item: dict[str, Any]) -> GraphUser | None:
    object_id = str(item.get("id") or "").lower()
    if not object_id:
        return None
    manager = item.get("manager")
    manager_id = str(manager.get("id") or "").lower() or None if isinstance(manager, dict) else None
    return GraphUser(id=object_id, name=str(item.get("displayName") or ""),
                     email=item.get("mail") or item.get("userPrincipalName"),
                     enabled=item.get("accountEnabled") is not False, manager_id=manager_id)


def _conversation_members(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The Entra users among conversationMembers (`userId`; anonymous guests and phone users have none)."""
    for item in items:
        if item.get("@odata.type", AAD_MEMBER_TYPE) == AAD_MEMBER_TYPE and item.get("userId"):
            yield str(item["userId"]).lower()


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "2")), 0.0), 300.0)
    except ValueError:
        return 2.0


def _error(response: httpx.Response) -> GraphError:
    code, message = "", ""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code, message = str(error.get("code") or ""), str(error.get("message") or "")
    except ValueError:
        pass
    detail = f"{code}: {message[:200]}" if code else "no details"
    return GraphError(f"Microsoft Graph refused {response.request.url.path} (HTTP {response.status_code}, {detail})",
                      status=response.status_code, code=code)
