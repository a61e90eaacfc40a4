# Sourced by the podman scripts: makes podman run containers on machines like the project's
# development VM, where out of the box it cannot:
#   - crun: "cgroups in hybrid mode not supported, drop all controllers from cgroupv2"
#     (cgroup v1 controllers plus a cgroup2 mount with `hugetlb` enabled)  → runtime runc
#   - "setrlimit `RLIMIT_NOFILE`: Operation not permitted" (no CAP_SYS_RESOURCE, so podman's
#     default ulimits cannot be set)                                       → ulimits within ours
# Elsewhere podman's own defaults are kept. Needs $WORK and a probe image as $1.
podman_compat() {
    local probe=$1
    if podman run --rm "$probe" true >/dev/null 2>&1; then
        return 0
    fi
    mkdir -p "$WORK"
    cat > "$WORK/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
    export CONTAINERS_CONF="$WORK/containers.conf"
    echo "podman: default runtime settings fail here; using $CONTAINERS_CONF (runc, lower ulimits)" >&2
    podman run --rm "$probe" true
}
