"""Deals from HubSpot's CRM API, through HubSpot's own client (`hubspot-api-client`): only those modified since
the last pull, so a pull's cost follows the changes.

One search (`POST /crm/v3/objects/deals/search`) for deals whose `hs_lastmodifieddate` is after the cursor, oldest
change first, 100 a page; HubSpot's search stops at 10,000 results, so past that the search starts again from the
last modification time seen (deals are keyed by id, so one seen twice counts once). When anything changed, the
owners (`GET /crm/v3/owners`, paged) turn `hubspot_owner_id` into the owner's email, which is how the directory
knows them. Each deal becomes a record of the import's fields (bot.core.pipeline_presets.FIELDS): the standard
properties map to their fields, and `HUBSPOT_DEAL_PROPERTIES` names the portal's own (segment, industry, region,
offering, size, account, deliberate). Deleted (archived) deals are not returned by the search and stay as they
were last imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from bot.core.pipeline_pull import Changed

#: HubSpot's standard deal properties -> the import's fields.
STANDARD: Final = {"dealname": "name", "amount": "amount", "deal_currency_code": "currency", "dealstage": "stage",
                   "closedate": "close_date", "createdate": "created_date", "hs_is_closed_won": "won",
                   "hs_is_closed": "closed"}
MODIFIED: Final = "hs_lastmodifieddate"
PAGE: Final = 100
SEARCH_CAP: Final = 10_000  # HubSpot's search returns at most this many results for one query


@dataclass(frozen=True)
class HubSpotSource:
    token: str
    api_url: str = "https://api.hubapi.com"
    properties: Mapping[str, str] = field(default_factory=dict)  # field -> the portal's own property name
    page: int = PAGE
    name: str = "hubspot"

    def _client(self) -> Any:
        from hubspot import HubSpot  # imported when a pull runs: the bot starts without it

        return HubSpot(access_token=self.token, host=self.api_url.rstrip("/"))

    def changed_since(self, through: datetime | None) -> Changed:
        client = self._client()
        deals: dict[str, dict[str, Any]] = {}
        newest = through
        while True:
            found, cap_reached = self._search(client, newest, inclusive=newest is not through)
            for deal in found:
                deals[str(deal.id)] = deal.properties or {}
                newest = max(filter(None, (newest, _moment(deal.properties.get(MODIFIED)))), default=newest)
            if not cap_reached:
                break
        owners = self._owners(client) if deals else {}
        return Changed([self._record(deal_id, props, owners) for deal_id, props in deals.items()], newest)

    def _search(self, client: Any, after: datetime | None, *, inclusive: bool) -> tuple[list[Any], bool]:
        """One search, paged to its end or to HubSpot's cap: (deals, whether the cap stopped it)."""
        from hubspot.crm.deals import PublicObjectSearchRequest

        filters = ([{"propertyName": MODIFIED, "operator": "GTE" if inclusive else "GT",
                     "value": str(int(after.timestamp() * 1000))}] if after else [])
        wanted = [*STANDARD, MODIFIED, "hubspot_owner_id", *self.properties.values()]
        found: list[Any] = []
        cursor: str | None = None
        while True:
            request = PublicObjectSearchRequest(filter_groups=[{"filters": filters}] if filters else [],
                                                sorts=[{"propertyName": MODIFIED, "direction": "ASCENDING"}],
                                                properties=wanted, limit=self.page, after=cursor)
            answer = client.crm.deals.search_api.do_search(public_object_search_request=request)
            found.extend(answer.results or [])
            cursor = answer.paging.next.after if answer.paging and answer.paging.next else None
            if cursor is None:
                return found, False
            if len(found) >= SEARCH_CAP:
                return found, True

    def _owners(self, client: Any) -> dict[str, str]:
        owners: dict[str, str] = {}
        after = None
        while True:
            page = client.crm.owners.owners_api.get_page(limit=self.page, after=after, archived=False)
            owners.update({str(owner.id): owner.email or "" for owner in page.results or []})
            after = page.paging.next.after if page.paging and page.paging.next else None
            if after is None:
                return owners

    def _record(self, deal_id: str, props: Mapping[str, Any], owners: Mapping[str, str]) -> dict[str, str]:
        record = {"record_id": deal_id, "owner": owners.get(str(props.get("hubspot_owner_id") or ""), "")}
        for name, field_name in STANDARD.items():
            record[field_name] = str(props.get(name) or "")
        for field_name, name in self.properties.items():
            record[field_name] = str(props.get(name) or "")
        return record


def _moment(value: Any) -> datetime | None:
    """HubSpot's timestamps: ISO 8601 with a Z (search results), or epoch milliseconds."""
    if not value:
        return None
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
