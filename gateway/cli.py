"""``carecircle`` commands of the gateway (API keys)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the gateway's commands to the ``carecircle`` app."""
