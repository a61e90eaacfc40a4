"""Alembic environment of the gateway service: shared logic in services.common.migrate."""

from services.common.migrate import run_env

run_env()
