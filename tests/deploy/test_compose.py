"""deploy/compose.yaml: valid against the compose spec, and every step runs a real command."""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from services.cli import APP_FACTORIES
from services.common.migrate import SERVICES
from tests.deploy.checks import known_settings
from tests.deploy.compose import interpolate
from tests.deploy.conftest import DEPLOY

SECRETS = {"CARECIRCLE_IDENTITY_SECRET": "s" * 40, "POSTGRES_PASSWORD": "p" * 20}
ONE_SHOTS = {"migrate", "admin-key", "demo-loader"}
LOADER_SETTINGS = {"GATEWAY_URL"}  # read by deploy/demo_loader.py itself


def _compose(environment: dict[str, str] = SECRETS) -> dict[str, Any]:
    return dict(yaml.safe_load(interpolate((DEPLOY / "compose.yaml").read_text(), environment)))


def _compose_up() -> ModuleType:
    path = DEPLOY / "podman" / "compose_up.py"
    spec = importlib.util.spec_from_file_location("compose_up", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(schema_file.joinpath("compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []


def test_compose_refuses_to_start_without_its_secrets() -> None:
    with pytest.raises(ValueError, match="CARECIRCLE_IDENTITY_SECRET"):
        _compose({"POSTGRES_PASSWORD": "p"})
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        _compose({"CARECIRCLE_IDENTITY_SECRET": "s", "POSTGRES_PASSWORD": ""})


def test_interpolation_follows_the_compose_spec() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert (
        interpolate("$$ ${SET} ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET}.", env) == "$ x d d  ."
    )


def test_services_migrate_once_then_start_without_migrating_and_report_readiness() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["migrate", "all"]
    assert services["migrate"]["depends_on"] == {"postgis": {"condition": "service_healthy"}}
    served = {}
    for name, spec in services.items():
        command = spec.get("command") or []
        if command[:1] == ["serve"]:
            served[name] = command[1]
            assert command[1] in APP_FACTORIES, name
            assert "--no-migrate" in command, name
            assert spec["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
            assert "http://127.0.0.1:8000/readyz" in " ".join(spec["healthcheck"]["test"])
    assert sorted(served.values()) == sorted(APP_FACTORIES)
    assert services["gateway"]["ports"] and all(
        "ports" not in spec for name, spec in services.items() if name != "gateway"
    )
    assert {n for n, s in services.items() if s.get("restart") == "no"} == ONE_SHOTS


def test_one_shot_scripts_are_mounted_from_files_that_exist() -> None:
    for name, spec in _compose()["services"].items():
        entrypoint = spec.get("entrypoint")
        if entrypoint is None:
            continue
        mounts = dict(v.split(":")[:2][::-1] for v in spec["volumes"] if v.startswith("./"))
        assert (DEPLOY / mounts[entrypoint[1]]).is_file(), name


def test_environment_names_are_settings_the_processes_read() -> None:
    settings = known_settings() | LOADER_SETTINGS
    for name, spec in _compose()["services"].items():
        if str(spec.get("image", "")).split("/")[-1].startswith("carecircle:"):
            for variable in spec.get("environment", {}):
                assert variable in settings, f"{name}: {variable}"


def test_the_init_script_makes_a_postgis_database_for_every_service() -> None:
    sql = (DEPLOY / "k8s" / "postgis" / "postgres-init.sql").read_text()
    for service in SERVICES:
        assert f"CREATE DATABASE {service};" in sql
        assert re.search(rf"\\c {service}\nCREATE EXTENSION IF NOT EXISTS postgis;", sql)


def test_podman_start_order_honours_every_dependency() -> None:
    compose_up = _compose_up()
    compose = _compose()
    order = compose_up.services_in_order(compose, [], ["demo"])
    assert set(order) == set(compose["services"])
    for name in order:
        for dependency in compose["services"][name].get("depends_on", {}):
            assert order.index(dependency) < order.index(name), (dependency, name)
    assert "demo-loader" not in compose_up.services_in_order(compose, [], [])
    cyclic = {"services": {"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}}}
    with pytest.raises(ValueError, match="cycle"):
        compose_up.services_in_order(cyclic, [], [])


@pytest.mark.slow  # four real `carecircle` processes
def test_the_first_admin_key_is_printed_once(tmp_path: Path) -> None:
    """deploy/first_admin_key.py against a real (SQLite) gateway database, twice."""
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    script = str(DEPLOY / "first_admin_key.py")
    first = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    keys = re.findall(
        r"First admin API key \(shown once, store it now\): (cc_\w+_\S+)", first.stdout
    )
    assert len(keys) == 1
    again = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "cc_" not in again.stdout and "exists (key id" in again.stdout
