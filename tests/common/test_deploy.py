"""The deployment files parse and start only commands the CLI really has."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.cli import APP_FACTORIES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_compose_services_run_real_cli_commands() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, spec in compose["services"].items():
        command = spec.get("command")
        if command and command[0] == "serve":
            assert command[1] in APP_FACTORIES, name


def test_every_process_has_a_kubernetes_deployment_with_probes() -> None:
    for service in APP_FACTORIES:
        documents = list(yaml.safe_load_all((DEPLOY / "k8s" / f"{service}.yaml").read_text()))
        deployment = next(d for d in documents if d["kind"] == "Deployment")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"][:2] == ["serve", service]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
