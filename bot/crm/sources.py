"""Which CRM the settings name for the scheduled pull (HubSpot's token set), as a `DealSource`, or None."""

from __future__ import annotations

from bot.core.pipeline_pull import DealSource
from bot.settings import Settings


def crm_source(settings: Settings) -> DealSource | None:
    if not settings.hubspot_token:
        return None
    from bot.crm.hubspot import HubSpotSource

    return HubSpotSource(token=settings.hubspot_token, api_url=settings.hubspot_api_url,
                         properties=settings.hubspot_properties)
