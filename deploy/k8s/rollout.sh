#!/usr/bin/env bash
# Apply an overlay in the order a release needs (deploy/README.md, "Rollout"):
#   1. config and secrets (and, in dev, PostGIS): `component in (config,database)`
#   2. the migration Job (`carecircle migrate all`), run to completion; the previous Job is
#      deleted first, since a Job's pod template cannot change
#   3. everything else: services (started with --no-migrate), gateway, Dask, Redis, Ingress
# Usage: deploy/k8s/rollout.sh dev|prod   (kubectl pointed at the cluster; KUBECTL to override)
set -euo pipefail
overlay=${1:?usage: rollout.sh dev|prod}
dir="$(cd "$(dirname "$0")" && pwd)/overlays/$overlay"
kubectl=${KUBECTL:-kubectl}
if [[ -f "$dir/secrets.env.example" ]]; then
    [[ -f "$dir/secrets.env" ]] || { echo "$dir/secrets.env is missing (see secrets.env.example)" >&2; exit 1; }
    if grep -q 'REPLACE-ME' "$dir/secrets.env"; then
        echo "$dir/secrets.env still has REPLACE-ME values" >&2
        exit 1
    fi
fi
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
"$kubectl" kustomize "$dir" > "$rendered"
namespace=$(sed -n 's/^namespace: *//p' "$dir/kustomization.yaml")
"$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply -f -
"$kubectl" apply -f "$rendered" -l 'app.kubernetes.io/component in (config,database)'
if grep -q 'name: postgis$' "$rendered"; then
    "$kubectl" -n "$namespace" rollout status statefulset/postgis --timeout=5m
fi
"$kubectl" -n "$namespace" delete job migrate --ignore-not-found
"$kubectl" apply -f "$rendered" -l app.kubernetes.io/component=migrate
"$kubectl" -n "$namespace" wait --for=condition=complete job/migrate --timeout=30m
"$kubectl" apply -f "$rendered"
for deployment in facilities beds coverage gateway; do
    "$kubectl" -n "$namespace" rollout status "deployment/$deployment" --timeout=10m
done
