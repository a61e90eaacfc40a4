"""A renderer of the plain kustomize features deploy/k8s uses, so tests need no kubectl.

Users render with ``kubectl kustomize`` (deploy/README.md); ``test_kustomize.py`` checks this
renderer against it, manifest for manifest, wherever kubectl is installed. Supported: resources
(files and directories), components, namespace, images, replicas, JSON 6902 ``patches`` with a
kind/name target, and ConfigMap/Secret generators with ``disableNameSuffixHash``. Anything else
raises ``NotImplementedError`` rather than render something kubectl would not.
"""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]

KNOWN_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "components",
    "namespace",
    "images",
    "replicas",
    "patches",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
}
REPLICATED = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}


def render(directory: Path) -> list[Manifest]:
    """The manifests ``kubectl kustomize directory`` prints, in the order they were accumulated."""
    return _build(Path(directory), component=False, accumulated=[])


def _build(directory: Path, *, component: bool, accumulated: list[Manifest]) -> list[Manifest]:
    spec = _kustomization(directory)
    unknown = set(spec) - KNOWN_FIELDS
    if unknown:
        raise NotImplementedError(f"{directory}: kustomize fields {sorted(unknown)}")
    expected = "Component" if component else "Kustomization"
    if spec.get("kind", "Kustomization") != expected:
        raise ValueError(f"{directory}: kind {spec.get('kind')!r}, expected {expected}")
    manifests = accumulated if component else []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            manifests.extend(_build(path, component=False, accumulated=[]))
        else:
            manifests.extend(_documents(path))
    for entry in spec.get("components", []):
        manifests = _build(directory / entry, component=True, accumulated=manifests)
    options = spec.get("generatorOptions", {})
    for generator in spec.get("configMapGenerator", []):
        manifests.append(_generate("ConfigMap", directory, generator, options))
    for generator in spec.get("secretGenerator", []):
        manifests.append(_generate("Secret", directory, generator, options))
    for patch in spec.get("patches", []):
        _patch(directory, manifests, patch)
    if "namespace" in spec:
        for manifest in manifests:
            if manifest["kind"] not in CLUSTER_SCOPED:
                manifest["metadata"]["namespace"] = spec["namespace"]
    for replica in spec.get("replicas", []):
        _set_replicas(manifests, replica)
    for image in spec.get("images", []):
        for manifest in manifests:
            _retag(manifest, image)
    return manifests


def _kustomization(directory: Path) -> dict[str, Any]:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (directory / name).is_file():
            return dict(yaml.safe_load((directory / name).read_text()) or {})
    raise FileNotFoundError(f"no kustomization in {directory}")


def _documents(path: Path) -> list[Manifest]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _generate(
    kind: str, directory: Path, generator: dict[str, Any], defaults: dict[str, Any]
) -> Manifest:
    options = {**defaults, **generator.get("options", {})}
    if not options.get("disableNameSuffixHash"):
        raise NotImplementedError(f"{kind} {generator['name']}: name suffix hashes")
    pairs: dict[str, str] = {}
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        pairs[key] = value
    for env in generator.get("envs", []):
        for line in (directory / env).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                pairs[key.strip()] = value
    for entry in generator.get("files", []):
        key, _, source = entry.rpartition("=") if "=" in entry else ("", "", entry)
        pairs[key or Path(source).name] = (directory / source).read_text()
    metadata: dict[str, Any] = {"name": generator["name"]}
    for field in ("labels", "annotations"):
        if options.get(field):
            metadata[field] = dict(options[field])
    manifest: Manifest = {"apiVersion": "v1", "kind": kind, "metadata": metadata}
    if kind == "Secret":
        manifest["type"] = generator.get("type", "Opaque")
        manifest["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in pairs.items()}
    else:
        manifest["data"] = pairs
    return manifest


def _patch(directory: Path, manifests: list[Manifest], patch: dict[str, Any]) -> None:
    text = patch["patch"] if "patch" in patch else (directory / patch["path"]).read_text()
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise NotImplementedError("strategic-merge patches (only JSON 6902 lists)")
    target = patch.get("target", {})
    unsupported = set(target) - {"kind", "name"}
    if unsupported:
        raise NotImplementedError(f"patch targets by {sorted(unsupported)}")
    for manifest in manifests:
        if "kind" in target and manifest["kind"] != target["kind"]:
            continue
        if "name" in target and not re.fullmatch(target["name"], manifest["metadata"]["name"]):
            continue
        for operation in operations:
            _apply(manifest, operation)


def _apply(document: Manifest, operation: dict[str, Any]) -> None:
    """One RFC 6902 operation (add, replace, remove) at a JSON pointer."""
    *parents, last = [
        part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]
    ]
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    value = copy.deepcopy(operation.get("value"))
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, value)
        elif op == "replace":
            node[index] = value
        elif op == "remove":
            del node[index]
        else:
            raise NotImplementedError(f"JSON patch op {op!r}")
    elif op in {"add", "replace"}:
        if op == "replace" and last not in node:
            raise KeyError(f"replace of a missing {operation['path']}")
        node[last] = value
    elif op == "remove":
        del node[last]
    else:
        raise NotImplementedError(f"JSON patch op {op!r}")


def _set_replicas(manifests: list[Manifest], replica: dict[str, Any]) -> None:
    for manifest in manifests:
        if manifest["kind"] in REPLICATED and manifest["metadata"]["name"] == replica["name"]:
            manifest["spec"]["replicas"] = replica["count"]


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    """The pod template's spec of a workload (CronJobs one level deeper), or None."""
    spec = manifest.get("spec", {})
    if manifest["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    if manifest["kind"] == "Pod":
        return dict(spec)
    template = spec.get("template")
    return template.get("spec") if isinstance(template, dict) else None


def _retag(manifest: Manifest, image: dict[str, Any]) -> None:
    spec = pod_spec(manifest)
    if spec is None:
        return
    for container in [*spec.get("containers", []), *spec.get("initContainers", [])]:
        name = re.split(r"[:@]", container["image"], maxsplit=1)[0]
        if name != image["name"]:
            continue
        tag = container["image"][len(name) :]
        if "newTag" in image:
            tag = f":{image['newTag']}"
        if "digest" in image:
            tag = f"@{image['digest']}"
        container["image"] = image.get("newName", name) + tag
