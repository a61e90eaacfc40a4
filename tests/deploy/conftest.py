"""Rendered deploy/k8s overlays, shared by the deploy tests (rendered once per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.deploy.kustomize import Manifest, render

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# every rendering a user can apply: the two overlays, and dev with the coverage HPA switched on
# (prod has it already)
OVERLAYS = {
    "dev": "overlays/dev",
    "prod": "overlays/prod",
    "dev+coverage-replicas": "overlays/dev-coverage-replicas",
}


@pytest.fixture(scope="session")
def k8s_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/k8s prepared as deploy/README.md says: secrets.env from the example."""
    tree = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(DEPLOY / "k8s", tree)
    prod = tree / "overlays" / "prod"
    shutil.copy(prod / "secrets.env.example", prod / "secrets.env")
    extra = tree / "overlays" / "dev-coverage-replicas"
    extra.mkdir()
    (extra / "kustomization.yaml").write_text(
        "resources: [../dev]\ncomponents: [../../components/coverage-replicas]\n"
    )
    return tree


@pytest.fixture(scope="session")
def renderings(k8s_tree: Path) -> dict[str, list[Manifest]]:
    return {name: render(k8s_tree / path) for name, path in OVERLAYS.items()}
