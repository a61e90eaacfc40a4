"""``carecircle`` commands of the gateway (API keys) and the checks before ``serve gateway``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from services.common.startup import is_loopback

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from gateway.settings import GatewaySettings

ROLES_HELP = "public, operator, official, planner or admin"


def serve_refusal(host: str, settings: GatewaySettings) -> str | None:
    """Why ``carecircle serve gateway --host HOST`` must not start, or None.

    Without ``CARECIRCLE_IDENTITY_SECRET`` the gateway cannot tell the services who is
    calling, so they either refuse every write or (not requiring identity) accept anyone's:
    fine on loopback for development, not on an address others reach, unless the operator
    says so with ``GATEWAY_ALLOW_WITHOUT_IDENTITY_SECRET=true``.
    """
    if settings.identity_secret or is_loopback(host) or settings.allow_without_identity_secret:
        return None
    return (
        f"refusing to serve the gateway on {host} without CARECIRCLE_IDENTITY_SECRET: the services "
        "could not tell who is calling. Set the secret (the same in every service), bind "
        "127.0.0.1, or set GATEWAY_ALLOW_WITHOUT_IDENTITY_SECRET=true to do it anyway."
    )


def before_serve(host: str, workers: int) -> None:
    """Warn about, or refuse (exit 2), what ``carecircle serve gateway`` was asked to do."""
    from gateway.settings import GatewaySettings, worker_warnings

    settings = GatewaySettings()
    for warning in worker_warnings(settings, workers):
        typer.echo(f"warning: {warning}", err=True)
    refusal = serve_refusal(host, settings)
    if refusal is not None:
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the gateway's commands to the ``carecircle`` app."""
    apikey = typer.Typer(
        help="API keys of the gateway (stored hashed; the key is shown once).", no_args_is_help=True
    )

    @apikey.command("create")
    def create(
        role: str = typer.Option(..., help=ROLES_HELP),
        region: str = typer.Option(
            "", help="6- or 12-digit division code: the key's region subtree"
        ),
        facility: list[int] = typer.Option(
            [], help="operators: a facility id they report for (repeatable)"
        ),
        label: str = typer.Option("", help="who or what the key is for"),
        migrate_first: bool = typer.Option(
            True, "--migrate/--no-migrate", help="upgrade the gateway database first"
        ),
    ) -> None:
        """Create a key and print it once (only its hash is stored)."""
        from pydantic import ValidationError

        from gateway.routes import KeyIn, create_key_row

        try:
            data = KeyIn.model_validate(
                {
                    "role": role,
                    "region_code": region or None,
                    "facility_ids": facility,
                    "label": label or None,
                }
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise typer.BadParameter(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
        if role == "official" and not data.region_code:
            raise typer.BadParameter("an official's key needs --region")
        out = create_key_row(_write_sessions(migrate_first), data)
        typer.echo(out.api_key)
        typer.echo(
            f"key id {out.key_id}, role {out.role}, region {out.region_code or '-'} (shown once; store it now)",
            err=True,
        )

    @apikey.command("list")
    def list_keys(
        include_revoked: bool = typer.Option(False, help="also show revoked keys"),
    ) -> None:
        """List keys (ids and roles, never the secrets)."""
        from gateway import repository

        with _write_sessions(True)() as session:
            for row in repository.list_api_keys(session, include_revoked=include_revoked):
                revoked = f" revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else ""
                typer.echo(
                    f"{row.key_id}\t{row.role}\t{row.region_code or '-'}\t{row.label or ''}{revoked}"
                )

    @apikey.command("revoke")
    def revoke(key_id: str = typer.Argument(..., help="the 12-hex-digit key id")) -> None:
        """Revoke a key (running gateways stop accepting it within GATEWAY_API_KEY_CACHE_S)."""
        from gateway import repository
        from services.common.db import transaction

        with transaction(_write_sessions(True)) as session:
            row = repository.revoke_api_key(session, key_id=key_id)
        if row is None:
            typer.echo(f"no API key {key_id}", err=True)
            raise typer.Exit(1)
        typer.echo(f"revoked {key_id}")

    app.add_typer(apikey, name="apikey")


def _write_sessions(migrate_first: bool) -> sessionmaker[Session]:
    from gateway.settings import GatewaySettings
    from services.common.db import make_engine, make_session_factory
    from services.common.migrate import upgrade

    url = GatewaySettings().resolved_database_url()
    if migrate_first:
        upgrade("gateway", url)
    return make_session_factory(make_engine(url), write=True)
