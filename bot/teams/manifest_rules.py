"""The published rules a Teams app package must meet, for the parts of the manifest Drumbeat writes.

From the app manifest schema v1.29 (Microsoft's microsoft-teams-app-schema repository; the rules are stated
here, the schema file is not shipped): the required fields, GUID / semver / colour / URL patterns, the length
limits, one bot, at most 3 command lists, and which top-level properties exist at all. Where Microsoft's
manifest reference is stricter than the schema (older clients: a command's title 32 characters, its
description 128, 10 commands per list), the stricter limit is kept. What no schema says and the upload checks:
the icons are PNGs of 192x192 (colour) and 32x32 (outline: white on transparent), and every file sits at the
zip's root. A JSON Schema library would check the schema's part, but only with the schema file shipped and
kept in step; these are the few rules that apply, each with its reason in the problem it reports.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any, Final

from PIL import Image, UnidentifiedImageError

GUID: Final = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER: Final = re.compile(r"^([0-9]|[1-9][0-9]*)\.([0-9]|[1-9][0-9]*)\.([0-9]|[1-9][0-9]*)$")
HEX_COLOR: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
HTTP_URL: Final = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://")
DOMAIN: Final = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$")
REQUIRED: Final = ("manifestVersion", "version", "id", "developer", "name", "description", "icons", "accentColor")
#: The schema's top-level properties (it allows no others).
KNOWN: Final = frozenset((
    "$schema", "accentColor", "activities", "agentConnectors", "agentSkills", "agenticUserTemplates", "authorization",
    "backgroundLoadConfiguration", "bots", "composeExtensions", "configurableProperties", "configurableTabs",
    "connectors", "copilotAgents", "dashboardCards", "defaultBlockUntilAdminAction", "defaultGroupCapability",
    "defaultInstallScope", "description", "developer", "devicePermissions", "elementRelationshipSet", "extensions",
    "graphConnector", "icons", "id", "intuneInfo", "isFullScreen", "localizationInfo", "manifestVersion",
    "meetingExtensionDefinition", "name", "permissions", "publisherDocsUrl", "showLoadingIndicator", "staticTabs",
    "subscriptionOffer", "supportedChannelTypes", "supportsChannelFeatures", "validDomains", "version",
    "webApplicationInfo",
))
BOT_SCOPES: Final = frozenset(("team", "personal", "groupChat", "copilot"))
#: (path, limit) of the strings whose length the schema or the reference caps.
LENGTHS: Final = ((("developer", "name"), 32), (("name", "short"), 30), (("name", "full"), 100),
                  (("description", "short"), 80), (("description", "full"), 4000), (("version",), 256))
ICON_SIZES: Final = {"color": (192, 192), "outline": (32, 32)}


class ManifestError(ValueError):
    """The package cannot be made as asked (a bad setting) or would be refused by Teams."""


def _get(manifest: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = manifest
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def manifest_problems(manifest: Mapping[str, Any]) -> list[str]:
    problems = [f"{key} is required" for key in REQUIRED if key not in manifest]
    problems += [f"{key} is not a property of the app manifest" for key in manifest if key not in KNOWN]
    if not GUID.match(str(manifest.get("id", ""))):
        problems.append("id must be a GUID")
    if not SEMVER.match(str(manifest.get("version", ""))):
        problems.append("version must be semver (major.minor.patch)")
    if not HEX_COLOR.match(str(manifest.get("accentColor", ""))):
        problems.append("accentColor must be an HTML colour like #4464ee")
    for path, limit in LENGTHS:
        value = _get(manifest, path)
        if not isinstance(value, str) or not value or len(value) > limit:
            problems.append(f"{'.'.join(path)} must be text of 1 to {limit} characters")
    for field in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        url = _get(manifest, ("developer", field))
        if not isinstance(url, str) or not HTTP_URL.match(url) or len(url) > 2048:
            problems.append(f"developer.{field} must be an http(s) URL")
    problems += _bot_problems(manifest.get("bots", []))
    domains = manifest.get("validDomains", [])
    if len(domains) > 100:
        problems.append("validDomains holds at most 100 domains")
    problems += [f"validDomains: {d!r} must be a host name, without scheme or path" for d in domains
                 if not isinstance(d, str) or not DOMAIN.match(d)]
    return problems


def _bot_problems(bots: Any) -> list[str]:
    if not isinstance(bots, list) or len(bots) > 1:
        return ["bots holds at most one bot"]
    problems: list[str] = []
    for bot in bots:
        if not GUID.match(str(bot.get("botId", ""))):
            problems.append("bots[0].botId must be the bot's Microsoft App ID (a GUID)")
        if not bot.get("scopes") or not set(bot["scopes"]) <= BOT_SCOPES:
            problems.append(f"bots[0].scopes must be some of {sorted(BOT_SCOPES)}")
        lists = bot.get("commandLists", [])
        if len(lists) > 3:
            problems.append("bots[0].commandLists holds at most 3 lists (one per scope)")
        for index, command_list in enumerate(lists):
            where = f"bots[0].commandLists[{index}]"
            if not command_list.get("scopes") or not set(command_list["scopes"]) <= set(bot.get("scopes", [])):
                problems.append(f"{where}.scopes must be scopes the bot has")
            commands = command_list.get("commands", [])
            if not 1 <= len(commands) <= 10:
                problems.append(f"{where}.commands holds 1 to 10 commands")
            titles = [command.get("title", "") for command in commands]
            if len(set(titles)) != len(titles):
                problems.append(f"{where}: command titles must differ")
            for command in commands:
                if not 1 <= len(command.get("title", "")) <= 32 or len(command.get("description", "")) > 128:
                    problems.append(f"{where}: {command.get('title')!r}: a title is 1-32 characters, a description "
                                    "at most 128")
    return problems


def _icon_problems(role: str, content: bytes) -> list[str]:
    try:
        image = Image.open(io.BytesIO(content))
        image.load()
    except (UnidentifiedImageError, OSError):
        return [f"the {role} icon is not an image"]
    problems = [] if image.format == "PNG" else [f"the {role} icon must be a PNG"]
    if image.size != ICON_SIZES[role]:
        problems.append(f"the {role} icon must be {ICON_SIZES[role][0]}x{ICON_SIZES[role][1]}, not "
                        f"{image.size[0]}x{image.size[1]}")
    if role == "outline":
        rgba = image.convert("RGBA")
        colours = {pixel[:3] for _, pixel in rgba.getcolors(rgba.width * rgba.height) or [] if pixel[3] > 0}
        if image.mode != "RGBA" or not colours or colours != {(255, 255, 255)}:
            problems.append("the outline icon must be white on a transparent background")
    return problems


def package_problems(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> list[str]:
    """Everything Teams would refuse in a package of these files (names as they sit in the zip)."""
    problems = manifest_problems(manifest)
    if "manifest.json" not in files:
        problems.append("manifest.json must be at the package's root")
    problems += [f"{name}: every file sits at the package's root" for name in files if "/" in name or "\\" in name]
    for role in ("color", "outline"):
        name = _get(manifest, ("icons", role))
        if not isinstance(name, str) or name not in files:
            problems.append(f"icons.{role} must name a file in the package")
        else:
            problems += _icon_problems(role, files[name])
    return problems
