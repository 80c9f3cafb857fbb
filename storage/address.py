"""Where a person is reached: one account on one chat platform, in one workspace or tenant.

A plain value, shared by every room (the outbox's recipient, a mention in a reply, a caller's identity), so
nothing below the adapters ever holds a Slack user id as a bare string whose platform is implied.
"""

from __future__ import annotations

from dataclasses import dataclass

ANY_WORKSPACE = ""  # an account imported without a workspace: the one workspace (or tenant) Drumbeat serves


@dataclass(frozen=True, order=True)
class Address:
    platform: str  # "slack", "teams", ...: names the adapter that can reach it
    user_id: str  # the platform's own user id (Slack U.../W..., a Teams AAD object id)
    workspace_id: str = ANY_WORKSPACE  # Slack team id / Teams tenant id; "" when there is only one

    def __str__(self) -> str:
        where = f"{self.workspace_id}/" if self.workspace_id else ""
        return f"{self.platform}:{where}{self.user_id}"
