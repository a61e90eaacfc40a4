"""Every import command refuses a path with NUL, a directory or a missing file as a usage
error (exit code 2, a message), never a traceback (issue 13, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app

COMMANDS = [
    ["facilities", "import"],
    ["regions", "import"],
    ["regions", "population"],
    ["beds", "import"],
    ["beds", "plan", "import"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_bad_paths_are_usage_errors(command: list[str], tmp_path: Path) -> None:
    env = {
        "FACILITIES_DATABASE_URL": f"sqlite:///{tmp_path / 'f.sqlite3'}",
        "BEDS_DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}",
        "FACILITIES_URL": "http://127.0.0.1:9",
    }
    for path in ("with\x00nul.csv", str(tmp_path), str(tmp_path / "missing.csv")):
        result = CliRunner().invoke(app, [*command, path], env=env)
        assert result.exit_code == 2, (path, result.output)
        assert isinstance(result.exception, SystemExit), (path, repr(result.exception))
        assert "Traceback" not in result.output
