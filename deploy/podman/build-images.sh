#!/usr/bin/env bash
# Build CareCircle's images with podman from Debian packages and PyPI only (no image registry):
#   localhost/carecircle-base:bookworm   debootstrapped Debian 12 with python3 (+ venv)
#   localhost/carecircle:<version>       the app image (deploy/Dockerfile on that base)
#   localhost/carecircle-postgis:15      PostgreSQL 15 + PostGIS 3 from Debian (compose's `postgis`)
#   localhost/carecircle-redis:7         Redis from Debian (compose's `redis`)
# Needs root, podman, runc and debootstrap (`apt-get install -y podman runc debootstrap`). Minutes;
# kept out of `make test`. Usage: bash deploy/podman/build-images.sh [--rebuild-base]
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=$(python3 -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")
WORK=${CARECIRCLE_IMAGE_WORK:-/var/tmp/carecircle-images}
BASE=localhost/carecircle-base:bookworm

# debootstrap from the Debian mirror apt already uses on this machine (no host named here)
mirror() {
    local uri
    uri=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')
    [[ -n "$uri" ]] || uri=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
    [[ -n "$uri" ]] || { echo "no Debian mirror in /etc/apt" >&2; exit 1; }
    echo "$uri"
}

if [[ "${1:-}" == "--rebuild-base" ]] || ! podman image exists "$BASE"; then
    rm -rf "$WORK/rootfs" && mkdir -p "$WORK"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$WORK/rootfs" "$(mirror)"
    rm -rf "$WORK/rootfs"/var/cache/apt/archives/*.deb "$WORK/rootfs"/var/lib/apt/lists/*
    tar -C "$WORK/rootfs" -c . | podman import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$BASE"
fi

# shellcheck source=deploy/podman/env.sh
source deploy/podman/env.sh
podman_compat "$BASE"
# the gateway's /map page serves Leaflet from gateway/webapp/node_modules, which the image copies
# with gateway/: install it on the host first (npm ci, pinned by package-lock.json)
make web
test -f gateway/webapp/node_modules/leaflet/dist/leaflet.js || { echo "Leaflet missing: make web needs npm" >&2; exit 1; }
# pip inside the build trusts what the host trusts (a TLS-inspecting proxy's CA, say)
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}
podman build --build-arg BASE_IMAGE="$BASE" \
    --volume "$HOST_CA:/run/host-ca.crt:ro" --build-arg PIP_CERT=/run/host-ca.crt \
    --ignorefile deploy/Dockerfile.dockerignore -f deploy/Dockerfile -t "localhost/carecircle:$VERSION" .
podman build --build-arg BASE_IMAGE="$BASE" -f deploy/podman/postgis.Containerfile \
    -t localhost/carecircle-postgis:15 deploy/podman
podman build --build-arg BASE_IMAGE="$BASE" -f deploy/podman/redis.Containerfile \
    -t localhost/carecircle-redis:7 deploy/podman
podman images --filter reference='localhost/carecircle*'
