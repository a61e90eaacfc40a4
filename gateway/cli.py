"""``carecircle`` commands of the gateway (API keys)."""

from __future__ import annotations

import typer

ROLES_HELP = "public, operator, official, planner or admin"


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


def _write_sessions(migrate_first: bool):  # type: ignore[no-untyped-def]
    from gateway.settings import GatewaySettings
    from services.common.db import make_engine, make_session_factory
    from services.common.migrate import upgrade

    url = GatewaySettings().resolved_database_url()
    if migrate_first:
        upgrade("gateway", url)
    return make_session_factory(make_engine(url), write=True)
