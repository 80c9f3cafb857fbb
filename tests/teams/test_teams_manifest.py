"""`drumbeat manifest --teams`: the Teams app package, opened as Teams' upload opens it and checked against the
manifest's published rules (schema v1.29); each rule is shown to catch what Teams would refuse."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot import cli
from bot.core import commands
from bot.teams.answers import parse
from bot.teams.manifest import build_manifest, build_package
from bot.teams.manifest_rules import ManifestError, manifest_problems, package_problems

APP_ID = "6f1c2a9e-8d3b-4c5e-9a7f-1b2c3d4e5f60"
REQUIRED_COMMANDS = {"summary", "quiz me", "feedback", "away", "help", "broadcast", "home"}


def write_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: str) -> tuple[int, Path]:
    env = tmp_path / "teams.env"
    env.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    for name in ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "drumbeat-teams.zip"
    return cli.main(["--env-file", str(env), "manifest", "--teams", "--out", str(out)]), out


def opened(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(path) as package:
        files = {name: package.read(name) for name in package.namelist()}
    return json.loads(files["manifest.json"]), files


def test_the_package_holds_a_current_manifest_for_the_bot_and_its_icons(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = write_package(tmp_path, monkeypatch, TEAMS_APP_ID=APP_ID,
                              TEAMS_PUBLIC_URL="https://drumbeat.example.com")

    assert code == 0
    manifest, files = opened(out)
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["$schema"] == "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
    (bot,) = manifest["bots"]
    assert manifest["id"] == bot["botId"] == APP_ID and bot["scopes"] == ["personal", "team"]
    (command_list,) = bot["commandLists"]
    assert command_list["scopes"] == ["personal"]
    assert REQUIRED_COMMANDS <= {command["title"] for command in command_list["commands"]}
    assert manifest["validDomains"] == ["drumbeat.example.com"]
    assert manifest["developer"]["websiteUrl"] == "https://drumbeat.example.com"
    color, outline = (Image.open(io.BytesIO(files[name])) for name in ("color.png", "outline.png"))
    assert (color.format, color.size, outline.format, outline.size) == ("PNG", (192, 192), "PNG", (32, 32))
    assert {pixel[:3] for _, pixel in outline.convert("RGBA").getcolors(32 * 32) if pixel[3]} == {(255, 255, 255)}
    assert package_problems(manifest, files) == []


def test_every_suggested_command_is_one_the_bot_understands() -> None:
    manifest = build_manifest(app_id=APP_ID, public_url=None, website_url="https://example.com")

    for command in manifest["bots"][0]["commandLists"][0]["commands"]:
        parsed = parse(command["title"])
        assert not (isinstance(parsed, commands.Help) and parsed.problem), command["title"]


def test_no_package_without_the_bot_id_or_a_website(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out = write_package(tmp_path, monkeypatch, TEAMS_APP_ID="not-a-guid", TEAMS_PUBLIC_URL="https://x.example")
    assert code == 2 and not out.exists()
    assert "TEAMS_APP_ID must be the Azure bot's Microsoft App ID (a GUID)" in capsys.readouterr().err

    code, out = write_package(tmp_path, monkeypatch, TEAMS_APP_ID=APP_ID)
    assert code == 2 and not out.exists()
    assert "TEAMS_PUBLIC_URL" in capsys.readouterr().err


@pytest.mark.parametrize(("change", "problem"), [
    (lambda m: m.pop("accentColor"), "accentColor is required"),
    (lambda m: m.update(tabs=[]), "tabs is not a property of the app manifest"),
    (lambda m: m.update(version="1.0"), "version must be semver"),
    (lambda m: m["name"].update(short="D" * 31), "name.short must be text of 1 to 30 characters"),
    (lambda m: m["bots"][0].update(scopes=["channel"]), "bots[0].scopes must be some of"),
    (lambda m: m["bots"].append(copy.deepcopy(m["bots"][0])), "bots holds at most one bot"),
    (lambda m: m["bots"][0]["commandLists"][0]["commands"].extend([{"title": f"c{i}"} for i in range(2)]),
     "commands holds 1 to 10 commands"),
    (lambda m: m["bots"][0]["commandLists"][0]["commands"][0].update(title="s" * 33), "a title is 1-32 characters"),
    (lambda m: m.update(validDomains=["https://drumbeat.example.com/teams"]), "must be a host name"),
    (lambda m: m["developer"].update(privacyUrl="drumbeat.example.com"), "developer.privacyUrl must be an http(s) URL"),
])
def test_the_rules_catch_what_teams_refuses(change: Any, problem: str) -> None:
    manifest = build_manifest(app_id=APP_ID, public_url="https://drumbeat.example.com", website_url="https://x.example")
    assert manifest_problems(manifest) == []

    change(manifest)

    assert any(problem in found for found in manifest_problems(manifest)), manifest_problems(manifest)


def test_icons_of_the_wrong_size_or_colour_and_files_in_folders_are_refused() -> None:
    manifest = build_manifest(app_id=APP_ID, public_url=None, website_url="https://x.example")
    red = io.BytesIO()
    Image.new("RGBA", (32, 32), (255, 0, 0, 255)).save(red, format="PNG")
    small = io.BytesIO()
    Image.new("RGB", (96, 96), (0, 0, 0)).save(small, format="PNG")
    files = {"manifest.json": b"{}", "color.png": small.getvalue(), "outline.png": red.getvalue(), "icons/x.png": b""}

    problems = package_problems(manifest, files)

    assert "the color icon must be 192x192, not 96x96" in problems
    assert "the outline icon must be white on a transparent background" in problems
    assert "icons/x.png: every file sits at the package's root" in problems
    with pytest.raises(ManifestError, match="TEAMS_APP_ID"):
        build_manifest(app_id="", public_url=None, website_url="https://x.example")
    bad = build_manifest(app_id=APP_ID, public_url=None, website_url="https://x.example")
    bad["name"]["short"] = ""
    with pytest.raises(ManifestError, match="would be refused"):
        build_package(bad)
