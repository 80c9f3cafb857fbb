"""The Teams app package (`drumbeat manifest --teams`): manifest.json and its two icons, zipped, ready to upload
in the Teams admin center or Teams' "Upload a custom app".

The manifest uses the current published schema (v1.29 in Microsoft's microsoft-teams-app-schema repository,
June 2026): one bot (the Azure bot's Microsoft App ID, TEAMS_APP_ID) in the personal scope only (Drumbeat talks
to each person in their own chat; it is never added to channels or group chats), the commands people can type
(`commandLists`: suggestions, the bot parses any text), and `validDomains` with the host of TEAMS_PUBLIC_URL,
where the summary's chart and CSV links point. Before anything is written the package is checked against the
schema's rules that apply to it (`bot.teams.manifest_rules`), so a package that Teams would refuse is never made.
"""

from __future__ import annotations

import io
import json
import zipfile
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final
from urllib.parse import urlparse

from bot.teams.icons import color_icon, outline_icon
from bot.teams.manifest_rules import GUID, ManifestError, package_problems

MANIFEST_VERSION: Final = "1.29"
SCHEMA_URL: Final = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT: Final = "#1D3557"
COLOR_ICON: Final = "color.png"
OUTLINE_ICON: Final = "outline.png"

#: What the chat suggests as people type: (title, description). Teams shows at most 10 per scope.
COMMANDS: Final = (
    ("summary", "Your figures; managers and leaders: summary <team> or @person [7d|30d|90d]"),
    ("home", "Your dashboard: what waits for you, your understanding, your teams"),
    ("quiz me", "Practise a pulse-check question now"),
    ("feedback", "Stop / start / continue feedback, anonymous if you like"),
    ("away", "Hold your messages: away until 2026-12-01, or away off"),
    ("summary export", "The figures of a summary as a CSV download"),
    ("broadcast", "Leaders: schedule a strategy broadcast"),
    ("schedules", "Leaders: your broadcasts, to pause, edit or cancel"),
    ("help", "Everything Drumbeat understands"),
)


def app_version() -> str:
    try:
        return version("drumbeat")
    except PackageNotFoundError:
        return "0.1.0"


def build_manifest(*, app_id: str, public_url: str | None, website_url: str, privacy_url: str | None = None,
                   terms_url: str | None = None, developer: str = "Drumbeat", name: str = "Drumbeat") -> dict[str, Any]:
    if not GUID.match(app_id or ""):
        raise ManifestError(f"TEAMS_APP_ID must be the Azure bot's Microsoft App ID (a GUID), got {app_id!r}")
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": app_version(),
        "id": app_id,  # the app's id: the bot's own, so re-uploading a package updates the one app
        "developer": {"name": developer, "websiteUrl": website_url, "privacyUrl": privacy_url or website_url,
                      "termsOfUseUrl": terms_url or website_url},
        "name": {"short": name, "full": f"{name}: one strategy, heard and understood"},
        "description": {
            "short": "Strategy messages, pulse checks and team summaries for sales teams",
            "full": ("Leaders write the strategy once; Drumbeat delivers it to every rep in their own time zone, "
                     "asks short pulse-check questions, collects stop / start / continue feedback (anonymous if "
                     "they like) and shows each manager whether their team heard and understood it."),
        },
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT,
        "bots": [{
            "botId": app_id,
            "scopes": ["personal"],
            "isNotificationOnly": False,
            "supportsFiles": False,  # downloads are links served by Drumbeat, not Teams file uploads
            "commandLists": [{"scopes": ["personal"],
                              "commands": [{"title": title, "description": text} for title, text in COMMANDS]}],
        }],
        "validDomains": [urlparse(public_url).netloc] if public_url else [],
    }


def build_package(manifest: dict[str, Any]) -> bytes:
    """manifest.json and the icons at the zip's root (Teams refuses a package with them in a folder)."""
    files = {"manifest.json": json.dumps(manifest, indent=2).encode(), COLOR_ICON: color_icon(manifest["accentColor"]),
             OUTLINE_ICON: outline_icon()}
    problems = package_problems(manifest, files)
    if problems:
        raise ManifestError("the Teams app package would be refused:\n" + "\n".join(f"- {p}" for p in problems))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, content in files.items():
            package.writestr(name, content)
    return buffer.getvalue()
