"""Every rendered Kubernetes manifest is valid against the API schemas and hangs together."""

from __future__ import annotations

import base64
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest

from services.cli import APP_FACTORIES
from services.common.migrate import SERVICES
from tests.deploy.checks import known_settings, route_statuses
from tests.deploy.conftest import DEPLOY, OVERLAYS
from tests.deploy.kustomize import Manifest, pod_spec

# The oldest Kubernetes we support (HPA autoscaling/v2, PDB policy/v1, Job TTLs are GA there)
# and the newest kubernetes-validate ships schemas for.
KUBERNETES_VERSIONS = ("1.30", kubernetes_validate.utils.latest_version())
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
# Dask's own HTTP routes (distributed.http.health), on its dashboard port
DASK_ROUTES = {"/health"}
# rollout.sh applies these first (config and, in dev, the database), then the migration Job
PRE_ROLLOUT = {"config", "database"}


def _rendering_items(
    renderings: dict[str, list[Manifest]],
) -> Iterator[tuple[str, Manifest]]:
    for name, manifests in renderings.items():
        for manifest in manifests:
            yield name, manifest


def _index(manifests: list[Manifest]) -> dict[tuple[str, str], Manifest]:
    return {(m["kind"], m["metadata"]["name"]): m for m in manifests}


def _containers(manifest: Manifest) -> list[dict[str, Any]]:
    spec = pod_spec(manifest)
    return [] if spec is None else [*spec.get("initContainers", []), *spec["containers"]]


def _carecircle_service(container: dict[str, Any]) -> str | None:
    """The service a container serves (`carecircle serve NAME`), if it is one."""
    args = container.get("args", [])
    if container.get("command") is None and args[:1] == ["serve"]:
        return str(args[1])
    return None


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(
    version: str, renderings: dict[str, list[Manifest]]
) -> None:
    """Strict schemas: a misspelt field (`readinesProbe`) fails, not only a wrong type."""
    for overlay, manifest in _rendering_items(renderings):
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(map(str, exc.path))
            pytest.fail(
                f"{overlay}: {manifest['kind']}/{manifest['metadata']['name']} {path}: {exc.message}"
            )
        except kubernetes_validate.SchemaNotFoundError as exc:
            pytest.fail(f"{overlay}: {exc.message}")


def test_the_renderings_have_what_issue_18_asks_for(renderings: dict[str, list[Manifest]]) -> None:
    for overlay, manifests in renderings.items():
        index = _index(manifests)
        for name in ("facilities", "beds", "coverage", "gateway", "dask-scheduler", "dask-worker"):
            assert ("Deployment", name) in index, (overlay, name)
        for name in ("facilities", "beds", "gateway"):
            assert ("HorizontalPodAutoscaler", name) in index, (overlay, name)
        assert ("Job", "migrate") in index
        assert ("Ingress", "carecircle") in index
        assert ("Secret", "carecircle-secrets") in index
        assert ("Service", "dask-scheduler") in index
        assert ("Service", "redis") in index
    assert ("StatefulSet", "postgis") in _index(renderings["dev"])
    for overlay in ("prod", "dev+coverage-replicas"):  # jobs survive replicas (ADR 0111, 0113)
        assert ("HorizontalPodAutoscaler", "coverage") in _index(renderings[overlay]), overlay
    assert ("HorizontalPodAutoscaler", "coverage") not in _index(renderings["dev"])


def test_every_container_has_cpu_and_memory_requests_and_limits(
    renderings: dict[str, list[Manifest]],
) -> None:
    for overlay, manifest in _rendering_items(renderings):
        for container in _containers(manifest):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert resource in resources.get(kind, {}), (
                        f"{overlay}: {manifest['metadata']['name']}/{container['name']} has no {kind}.{resource}"
                    )


def test_every_secret_and_config_map_named_exists_with_its_keys(
    renderings: dict[str, list[Manifest]],
) -> None:
    for overlay, manifests in renderings.items():
        index = _index(manifests)
        for manifest in manifests:
            for kind, name, key, optional in _references(manifest):
                where = (
                    f"{overlay}: {manifest['kind']}/{manifest['metadata']['name']} → {kind} {name}"
                )
                assert (kind, name) in index, where
                if key is not None and not optional:
                    assert key in index[(kind, name)].get("data", {}), f"{where} key {key}"


def _references(manifest: Manifest) -> Iterator[tuple[str, str, str | None, bool]]:
    """(kind, name, key or None, optional) of every Secret/ConfigMap a manifest reads."""
    spec = pod_spec(manifest)
    if spec is None:
        return
    for container in _containers(manifest):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                yield "ConfigMap", source["configMapRef"]["name"], None, False
            if "secretRef" in source:
                yield "Secret", source["secretRef"]["name"], None, False
        for env in container.get("env", []):
            ref = env.get("valueFrom", {})
            if "secretKeyRef" in ref:
                r = ref["secretKeyRef"]
                yield "Secret", r["name"], r["key"], bool(r.get("optional"))
            if "configMapKeyRef" in ref:
                r = ref["configMapKeyRef"]
                yield "ConfigMap", r["name"], r["key"], bool(r.get("optional"))
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            for item in volume["configMap"].get("items", []) or [{"key": None}]:
                yield "ConfigMap", volume["configMap"]["name"], item["key"], False
        if "secret" in volume:
            yield "Secret", volume["secret"]["secretName"], None, False


def test_selectors_services_autoscalers_and_ingress_find_their_targets(
    renderings: dict[str, list[Manifest]],
) -> None:
    for overlay, manifests in renderings.items():
        index = _index(manifests)
        pods = [
            (m, m["spec"]["template"]["metadata"]["labels"])
            for m in manifests
            if m["kind"] in {"Deployment", "StatefulSet"}
        ]
        for workload, labels in pods:
            selector = workload["spec"]["selector"]["matchLabels"]
            assert selector.items() <= labels.items(), (overlay, workload["metadata"]["name"])
        for manifest in manifests:
            name = f"{overlay}: {manifest['kind']}/{manifest['metadata']['name']}"
            if manifest["kind"] in {"Service", "PodDisruptionBudget"}:
                selector = manifest["spec"]["selector"]
                selector = selector.get("matchLabels", selector)
                matched = [w for w, labels in pods if selector.items() <= labels.items()]
                assert matched, f"{name} selects no pods"
                if manifest["kind"] == "Service":
                    ports = {p["name"] for c in _containers(matched[0]) for p in c.get("ports", [])}
                    for port in manifest["spec"]["ports"]:
                        assert port["targetPort"] in ports, f"{name} → port {port['targetPort']}"
            if manifest["kind"] == "HorizontalPodAutoscaler":
                target = manifest["spec"]["scaleTargetRef"]
                deployment = index.get((target["kind"], target["name"]))
                assert deployment is not None, name
                # the HPA owns the replica count; one in the Deployment would fight it on apply
                assert "replicas" not in deployment["spec"], f"{name}: target sets replicas"
                for container in _containers(deployment):
                    assert "cpu" in container["resources"]["requests"], name
            if manifest["kind"] == "StatefulSet":
                assert ("Service", manifest["spec"]["serviceName"]) in index, name
            if manifest["kind"] == "Ingress":
                for rule in manifest["spec"]["rules"]:
                    for path in rule["http"]["paths"]:
                        backend = path["backend"]["service"]
                        service = index.get(("Service", backend["name"]))
                        assert service is not None, f"{name} → {backend['name']}"
                        names = {p["name"] for p in service["spec"]["ports"]}
                        assert backend["port"]["name"] in names, name
                for tls in manifest["spec"].get("tls", []):
                    issued = "cert-manager.io/cluster-issuer" in manifest["metadata"].get(
                        "annotations", {}
                    )
                    assert issued or ("Secret", tls["secretName"]) in index, name


def test_probes_point_at_real_routes_on_declared_ports(
    renderings: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    probes: dict[str, set[str]] = {}
    for overlay, manifest in _rendering_items(renderings):
        if manifest["kind"] == "Job":
            continue  # runs to completion; nothing routes to it
        for container in _containers(manifest):
            ports = {p["name"] for p in container.get("ports", [])}
            service = _carecircle_service(container)
            if service is not None:
                assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
                assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
                metrics = manifest["spec"]["template"]["metadata"]["annotations"]
                probes.setdefault(service, set()).add(metrics["prometheus.io/path"])
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = container.get(kind)
                if probe is None:
                    assert kind == "startupProbe", f"{overlay}: {container['name']} has no {kind}"
                    continue
                http = probe.get("httpGet") or probe.get("tcpSocket")
                if http is not None:
                    assert http["port"] in ports, f"{overlay}: {container['name']} {kind}"
                if "httpGet" in probe and service is not None:
                    probes.setdefault(service, set()).add(probe["httpGet"]["path"])
                elif "httpGet" in probe:
                    assert probe["httpGet"]["path"] in DASK_ROUTES, container["name"]
    assert set(probes) == set(APP_FACTORIES)
    for service, paths in probes.items():
        statuses = route_statuses(service, sorted(paths), tmp_path)
        for path, status in statuses.items():
            # /readyz answers 503 here (no migrations ran): what matters is that the route exists
            assert status not in {404, 405}, f"{service} {path}: {status}"


def test_services_start_without_migrating_and_the_job_migrates_every_database(
    renderings: dict[str, list[Manifest]],
) -> None:
    for overlay, manifests in renderings.items():
        jobs = [m for m in manifests if m["kind"] == "Job"]
        assert [j["metadata"]["name"] for j in jobs] == ["migrate"], overlay
        (container,) = _containers(jobs[0])
        assert container["args"] == ["migrate", "all"]
        env = {e["name"] for e in container["env"]}
        assert {f"{s.upper()}_DATABASE_URL" for s in SERVICES} <= env
        for manifest in manifests:
            for c in _containers(manifest):
                service = _carecircle_service(c)
                if service is not None:
                    assert service in APP_FACTORIES
                    assert "--no-migrate" in c["args"], f"{overlay}: {service} migrates at start"


def test_the_pre_rollout_phase_holds_everything_the_migration_job_needs(
    renderings: dict[str, list[Manifest]],
) -> None:
    """rollout.sh applies `component in (config, database)`, then the Job, then the rest."""
    for overlay, manifests in renderings.items():
        first = {
            (m["kind"], m["metadata"]["name"])
            for m in manifests
            if m["metadata"].get("labels", {}).get("app.kubernetes.io/component") in PRE_ROLLOUT
        }
        job = next(m for m in manifests if m["kind"] == "Job")
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate"
        for kind, name, _key, _optional in _references(job):
            assert (kind, name) in first, f"{overlay}: the Job needs {kind} {name} first"
        rollout = (DEPLOY / "k8s" / "rollout.sh").read_text()
        assert "app.kubernetes.io/component in (config,database)" in rollout
        assert "app.kubernetes.io/component=migrate" in rollout


def test_environment_names_are_settings_the_processes_read(
    renderings: dict[str, list[Manifest]],
) -> None:
    """A misspelt variable (`GATEWAY_TRUST_FORWARD_FOR`) would be ignored silently at run time."""
    settings = known_settings()
    for overlay, manifests in renderings.items():
        config = _index(manifests)[("ConfigMap", "carecircle-config")]
        for name in config["data"]:
            assert name in settings, f"{overlay}: carecircle-config has {name}"
        for manifest in manifests:
            for container in _containers(manifest):
                if (
                    container["image"].split("/")[-1].startswith("carecircle:")
                    and container.get("command") is None
                ):
                    for env in container.get("env", []):
                        assert env["name"] in settings, (
                            f"{overlay}: {container['name']} {env['name']}"
                        )


def test_internal_urls_name_services_and_their_ports(renderings: dict[str, list[Manifest]]) -> None:
    for overlay, manifests in renderings.items():
        index = _index(manifests)
        values = list(index[("ConfigMap", "carecircle-config")]["data"].values())
        secret = index[("Secret", "carecircle-secrets")]["data"]
        values += [base64.b64decode(v).decode() for v in secret.values()]
        for value in values:
            url = urlsplit(value)
            if not url.scheme or not url.hostname or "." in url.hostname:
                continue  # not a URL, or outside the cluster (prod's managed database)
            service = index.get(("Service", url.hostname))
            assert service is not None, f"{overlay}: {value} names no Service"
            assert url.port in {p["port"] for p in service["spec"]["ports"]}, f"{overlay}: {value}"


def test_images_are_the_overlays_and_the_version_of_the_code(
    renderings: dict[str, list[Manifest]],
) -> None:
    version = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())["project"]["version"]
    expected = {
        "dev": f"localhost/carecircle:{version}",
        "prod": f"registry.example.org/carecircle:{version}",
        "dev+coverage-replicas": f"localhost/carecircle:{version}",
    }
    assert set(expected) == set(OVERLAYS)
    for overlay, manifest in _rendering_items(renderings):
        for container in _containers(manifest):
            image = container["image"]
            if re.match(r"(.*/)?carecircle(:|$)", image):
                assert image == expected[overlay], (overlay, container["name"])
            else:
                assert re.search(r":[\w.-]+$", image), f"{image}: pin a tag"


def test_no_real_secret_is_in_the_repository() -> None:
    prod = DEPLOY / "k8s" / "overlays" / "prod"
    assert "secrets.env" in (prod / ".gitignore").read_text().split()
    example = (prod / "secrets.env.example").read_text()
    for line in example.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            assert "REPLACE-ME" in value or key == "redis-url", key
    assert "REPLACE-ME" in (DEPLOY / "k8s" / "rollout.sh").read_text()  # refused when left in


def _mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
    number, unit = re.fullmatch(r"([\d.]+)([A-Za-z]*)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * units[unit]


def test_dask_workers_spill_and_pause_before_the_container_is_killed(
    renderings: dict[str, list[Manifest]],
) -> None:
    """Dask's own memory limit must sit under the container's, or the kernel kills it first."""
    for overlay, manifests in renderings.items():
        worker = _index(manifests)[("Deployment", "dask-worker")]
        (container,) = _containers(worker)
        (flag,) = [a for a in container["args"] if a.startswith("--memory-limit=")]
        dask_mib = _mebibytes(flag.split("=", 1)[1])
        container_mib = _mebibytes(container["resources"]["limits"]["memory"])
        assert dask_mib < container_mib, overlay
