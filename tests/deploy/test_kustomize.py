"""The test renderer gives what ``kubectl kustomize`` gives, manifest for manifest."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import OVERLAYS
from tests.deploy.kustomize import Manifest, _apply, render

KUBECTL = shutil.which("kubectl")


def _normal(manifests: list[Manifest]) -> dict[tuple[str, str, str], Any]:
    """Keyed by (kind, namespace, name); Secret data decoded (kubectl wraps long base64 lines)."""
    out = {}
    for manifest in manifests:
        manifest = yaml.safe_load(yaml.safe_dump(manifest))
        if manifest["kind"] == "Secret":
            manifest["data"] = {
                k: base64.b64decode("".join(v.split())).decode()
                for k, v in manifest.get("data", {}).items()
            }
        meta = manifest["metadata"]
        out[(manifest["kind"], meta.get("namespace", ""), meta["name"])] = manifest
    return out


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (the oracle)")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_matches_kubectl_kustomize(
    overlay: str, k8s_tree: Path, renderings: dict[str, list[Manifest]]
) -> None:
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(k8s_tree / OVERLAYS[overlay])],
        check=True,
        capture_output=True,
        text=True,
    )
    known = _normal([d for d in yaml.safe_load_all(done.stdout) if d])
    observed = _normal(renderings[overlay])
    assert sorted(observed) == sorted(known)
    for key, manifest in known.items():
        assert observed[key] == manifest, key


def test_json_patch_operations_follow_rfc_6902() -> None:
    document: dict[str, Any] = {"a": {"b": [1, 2], "c/d": 0}}
    _apply(document, {"op": "add", "path": "/a/b/-", "value": 3})
    _apply(document, {"op": "add", "path": "/a/b/0", "value": 0})
    _apply(document, {"op": "replace", "path": "/a/c~1d", "value": 9})
    _apply(document, {"op": "remove", "path": "/a/b/1"})
    assert document == {"a": {"b": [0, 2, 3], "c/d": 9}}
    with pytest.raises(KeyError):
        _apply(document, {"op": "replace", "path": "/a/missing", "value": 1})


def test_features_it_does_not_render_are_refused(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("commonLabels: {a: b}\n")
    with pytest.raises(NotImplementedError, match="commonLabels"):
        render(tmp_path)
    (tmp_path / "kustomization.yaml").write_text("secretGenerator: [{name: s, literals: [a=b]}]\n")
    with pytest.raises(NotImplementedError, match="hash"):
        render(tmp_path)
