"""The deploy shell scripts parse (bash -n); what they do is run by hand (deploy/README.md)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.deploy.conftest import DEPLOY

SCRIPTS = sorted(DEPLOY.rglob("*.sh"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_script_parses(script: object) -> None:
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_scripts_are_there() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"rollout.sh", "build-images.sh", "env.sh", "postgis-entrypoint.sh"} <= names
