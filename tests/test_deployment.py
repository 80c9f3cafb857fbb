"""The deployment files run what the README documents: the same install and commands, the real health path, and
only settings Drumbeat reads. Nothing here builds an image (no network in tests); it reads the files as Docker,
Compose and systemd would, and checks each against the code."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from bot.app import HEALTH_PATH
from bot.cli import _parser
from bot.settings import Settings, settings_from_mapping
from messages.library import default_pack_path, load_packs

ROOT = Path(__file__).resolve().parents[1]
SETTING = r"(?:SLACK|TEAMS|DRUMBEAT|DATABASE|LOG)_[A-Z0-9_]+|PORT|HOST"
VENV = "/opt/drumbeat/.venv"


def settings_read() -> set[str]:
    """Every variable bot/settings.py reads (its quoted names), as tests/test_readme.py reads them."""
    return set(re.findall(rf'"({SETTING})"', (ROOT / "bot" / "settings.py").read_text()))


def env_example_names() -> set[str]:
    return set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))


def readme_install() -> str:
    """The README's run command without its last step: how Drumbeat is installed."""
    run = re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())[0]
    install, _, start = run.rpartition(" && ")
    assert start == ".venv/bin/drumbeat"
    return install


def production_install() -> str:
    """The README's install, into the production venv, not editable (nothing mounts the source there)."""
    return readme_install().replace(".venv", VENV).replace(" -e .", " .")


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> list[str]:
    """Every instruction of one kind in the Dockerfile, continuation lines joined."""
    text = dockerfile().replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.split(None, 1)[:1] == [name]]


def cli_command(argv: list[str]) -> str:
    """The subcommand `drumbeat` would run for these arguments (argparse exits on anything it does not know)."""
    return _parser().parse_args(argv).command or "run"


def test_the_image_installs_drumbeat_with_the_readmes_command() -> None:
    assert readme_install() == 'python3 -m venv .venv && .venv/bin/pip install -q -e .'
    assert any(production_install() in run for run in instruction("RUN"))
    assert any(f"{VENV}/bin" in env for env in instruction("ENV") if env.startswith("PATH="))


def test_the_image_runs_drumbeat_run_as_an_unprivileged_user() -> None:
    command = json.loads(instruction("CMD")[-1])
    assert command[0] == "drumbeat"
    assert cli_command(command[1:]) == "run"
    assert instruction("USER")[-1].strip() == "drumbeat"
    assert instruction("FROM")[0].strip() == "python:3.11-slim"


def test_the_image_health_check_asks_the_real_health_path_on_the_default_port() -> None:
    (check,) = instruction("HEALTHCHECK")
    assert f"'{HEALTH_PATH}'" in check
    assert f"os.environ.get('PORT', '{Settings().port}')" in check


def test_the_image_sets_only_settings_drumbeat_reads_and_they_are_valid() -> None:
    names = {}
    for env in instruction("ENV"):
        names.update(dict(pair.split("=", 1) for pair in shlex.split(env)))
    ours = {name: value for name, value in names.items() if re.fullmatch(SETTING, name)}
    assert set(ours) == {"DATABASE_URL", "DRUMBEAT_FEEDBACK_KEY_FILE", "PORT"}
    assert set(ours) <= settings_read()
    settings = settings_from_mapping(ours)
    assert settings.feedback_key_file == Path("/data/drumbeat-feedback.key")
    assert str(settings.feedback_key_file.parent) in instruction("VOLUME")[0]


def test_the_docker_context_leaves_out_secrets_and_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "*.db", "drumbeat-feedback.key"} <= ignored


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def drumbeat_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items() if name != "db"}


def test_compose_starts_postgresql_with_a_volume_and_a_health_check(compose: dict) -> None:
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_compose_runs_drumbeat_commands_against_the_db_service_once_it_is_healthy(compose: dict) -> None:
    services = drumbeat_services(compose)
    commands = {name: cli_command(service["command"][1:]) for name, service in services.items()}
    assert commands == {"drumbeat": "run", "dispatch": "dispatch", "drumbeat-2": "run"}
    assert "profiles" not in services["drumbeat"]
    assert services["dispatch"]["profiles"] and services["drumbeat-2"]["profiles"]
    for service in services.values():
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["env_file"] == ".env"
        url = service["environment"]["DATABASE_URL"].replace("${POSTGRES_PASSWORD:-drumbeat}", "secret")
        assert urlparse(url).hostname == "db"
        assert settings_from_mapping({"DATABASE_URL": url}).database_url.startswith("postgresql+psycopg://")


def test_compose_sets_only_settings_drumbeat_reads_and_every_instance_shares_the_key(compose: dict) -> None:
    read = settings_read()
    for name, service in drumbeat_services(compose).items():
        assert set(service["environment"]) <= read, name
        key_file = Path(service["environment"]["DRUMBEAT_FEEDBACK_KEY_FILE"])
        mounts = dict(volume.split(":") for volume in service["volumes"])
        assert mounts["drumbeat-data"] == str(key_file.parent), name


def unit() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / "drumbeat.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_systemd_unit_runs_a_real_drumbeat_command_from_the_venv() -> None:
    (exec_start,) = unit()["ExecStart"]
    binary, *argv = shlex.split(exec_start)
    assert binary == f"{VENV}/bin/drumbeat"
    assert cli_command(argv) == "run"
    assert production_install() in (ROOT / "deploy" / "drumbeat.service").read_text()


def test_the_systemd_unit_runs_as_its_own_user_restarts_on_failure_and_is_hardened() -> None:
    values = unit()
    assert values["User"] == ["drumbeat"]
    assert values["EnvironmentFile"] and values["Restart"] == ["on-failure"]
    assert values["NoNewPrivileges"] == ["yes"] and values["ProtectSystem"] == ["strict"]
    stop = int(values["TimeoutStopSec"][0])
    assert stop > Settings().shutdown_seconds  # SIGTERM's clean stop fits before systemd kills
    names = {value.split("=", 1)[0] for value in values["Environment"]}
    assert names - {"HOME"} <= settings_read()


def operations() -> str:
    return (ROOT / "docs" / "operations.md").read_text()


def test_every_setting_the_operations_page_names_is_one_drumbeat_has() -> None:
    named = set(re.findall(rf"`({SETTING})[=`]", operations()))
    assert len(named) >= 15  # the page names many; the regex must be finding them
    known = settings_read() | env_example_names()
    assert named <= known, f"not settings: {sorted(named - known)}"


def test_the_operations_page_installs_with_the_readmes_command_and_is_linked() -> None:
    assert production_install() in operations()
    assert "](docs/operations.md)" in (ROOT / "README.md").read_text()


def test_the_content_pack_reference_loads_beside_the_default_pack(tmp_path: Path) -> None:
    """The example is what admins copy: it must load as written, with every section, next to the default pack."""
    (example,) = re.findall(r"```yaml\n(.*?)```", operations(), re.DOTALL)
    path = tmp_path / "east.yaml"
    path.write_text(example)
    default, extra = load_packs([default_pack_path(), path])
    assert extra.pack == "east-region"
    assert extra.expectations and extra.messages and extra.questions and extra.coaching_tips
    assert set(extra.messages[0].expectations) & {item.key for item in default.expectations}
