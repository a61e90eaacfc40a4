"""Street networks in the service: imports (server path or upload), lookups, the loaded-graph cache.

A network row's ``data`` (the compressed graph, megabytes for a city) is read only when the
cache misses; every other lookup loads metadata. Server paths are fenced into
``COVERAGE_IMPORT_DIR``: without it server-path imports are off, and every path outside it
gets the same answer, so the service never tells whether a file exists there.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pyproj import Transformer
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import transaction
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.geo import WGS84
from services.coverage import repository as repo
from services.coverage.graph import WALK, Network, load_network, save_network
from services.coverage.loaders import check_network_file
from services.coverage.loaders import load_network as load_network_file
from services.coverage.models import NetworkRow
from services.coverage.snapping import NodeIndex
from services.coverage.walking import weak_components

CACHE_SIZE = 4
NETWORK_SUFFIXES = (".osm.pbf", ".pbf", ".geojson", ".json", ".gpkg", ".npz")


class LoadedNetwork:
    """A network ready for searches: its graph, KD-tree, cost matrix and (lazily) components."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.index = NodeIndex(net.x, net.y)
        # WGS84 lon/lat -> the network's meters; pyproj >= 3.1 transformers are thread-safe
        self.to_xy = Transformer.from_crs(WGS84, f"EPSG:{net.epsg}", always_xy=True)
        self.graph: sp.csr_matrix = net.cost_matrix()
        self._components: NDArray[np.int32] | None = None

    @property
    def components(self) -> NDArray[np.int32]:
        """Weakly connected component of each node (computed once, on first use)."""
        if self._components is None:
            self._components = weak_components(self.graph)
        return self._components


class NetworkCache:
    """Loaded networks by id (small LRU: a city graph is tens of MB); thread-safe.

    A miss reads the stored graph in its own short session, so no caller's session (or
    database connection) is held while a graph is decompressed or searched.
    """

    def __init__(self, read_sessions: sessionmaker[Session], size: int = CACHE_SIZE) -> None:
        self.read_sessions = read_sessions
        self.size = size
        self.items: OrderedDict[int, LoadedNetwork] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, meta: NetworkRow) -> LoadedNetwork:
        with self.lock:
            hit = self.items.get(meta.id)
            if hit is not None and hit.net.version == meta.version:
                self.items.move_to_end(meta.id)
                return hit
            with self.read_sessions() as session:
                blob = repo.network_data(session=session, network_id=meta.id)
            if blob is None:
                raise NotFound(f"network {meta.id} not found")
            loaded = LoadedNetwork(load_network(io.BytesIO(blob)))
            self.items[meta.id] = loaded
            while len(self.items) > self.size:
                self.items.popitem(last=False)
            return loaded


def find(session: Session, network_id: int, field: str = "network_id") -> NetworkRow:
    """A network's metadata, or 422 naming the field that named it."""
    row = repo.get_network(session=session, network_id=network_id)
    if row is None:
        raise InvalidInput(f"unknown network {network_id}", field=field)
    return row


def walking_network(read_sessions: sessionmaker[Session], network_id: int | None) -> NetworkRow:
    """The walking network asked for, or the latest imported one (metadata only)."""
    with read_sessions() as session:
        if network_id is not None:
            row = find(session, network_id, field="network")
        else:
            found = repo.latest_network(session=session, kind=WALK)
            if found is None:
                raise NotFound("no walking network imported yet")
            row = found
    if row.kind != WALK:
        raise InvalidInput("walk-times needs a walking network", field="network")
    return row


def server_path(raw: str, import_dir: str) -> tuple[Path, str]:
    """A server file the caller may make us read, inside ``import_dir`` (relative paths too),
    and how answers name it (relative to that folder: the server's layout is not shown).

    The fence is checked on the path's text before anything on disk is touched, so every
    path outside the folder gets the same 403 whether it exists or not; symlinks inside
    are then resolved and must stay inside.
    """
    if "\x00" in raw:
        raise InvalidInput("path contains a NUL character", field="path")
    if not import_dir:
        raise Forbidden(
            "server-path imports are off (COVERAGE_IMPORT_DIR is not set); upload the file instead",
            field="path",
        )
    root = Path(os.path.abspath(os.path.expanduser(import_dir)))
    lexical = Path(os.path.normpath(root / raw))  # ".." folded before any disk access
    if not lexical.is_relative_to(root):
        raise Forbidden(
            "path must be inside the server's import folder (COVERAGE_IMPORT_DIR); "
            "upload the file instead",
            field="path",
        )
    shown = lexical.relative_to(root).as_posix()
    path = lexical.resolve()
    if not path.is_relative_to(root.resolve()):
        raise Forbidden(f"{shown} leads outside the import folder", field="path")
    if not path.exists():
        raise InvalidInput(f"network file not found: {shown}", field="path")
    if not path.is_file():
        raise InvalidInput(f"{shown} is not a file", field="path")
    if not path.name.lower().endswith(NETWORK_SUFFIXES):
        raise InvalidInput(
            f"{shown}: a network is a {', '.join(NETWORK_SUFFIXES)} file", field="path"
        )
    return path, shown


def import_path(
    write_sessions: sessionmaker[Session],
    *,
    path: Path,
    shown: str,
    kind: str,
    name: str,
    max_segment_m: float | None,
) -> tuple[NetworkRow, bool]:
    """Parse, version and store a network from a (fenced) server file; ``shown`` names it."""
    net = _parse(path, kind, max_segment_m, field="path", label=shown)
    return _store(write_sessions, net, name, source=shown)


def import_upload(
    write_sessions: sessionmaker[Session], *, filename: str, content: bytes, kind: str, name: str
) -> tuple[NetworkRow, bool]:
    """Parse, version and store an uploaded network (kept in a private temporary folder)."""
    lower = filename.lower()
    suffix = next((s for s in NETWORK_SUFFIXES if lower.endswith(s)), None)
    if suffix is None:
        raise InvalidInput(
            f"{filename}: a network is a {', '.join(NETWORK_SUFFIXES)} file", field="file"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        net = _parse(path, kind, None, field="file", label=filename)
    return _store(write_sessions, net, name, source=f"upload:{filename}")


def _parse(
    path: Path, kind: str, max_segment_m: float | None, *, field: str, label: str
) -> Network:
    """The network in a file, or 422 naming ``field``; messages name ``label``, never a server path.

    The readers (pyrosm, GDAL, numpy) are third-party parsers fed untrusted bytes, so any
    exception they raise is the file's fault, not ours.
    """
    try:
        check_network_file(path)
        net = load_network_file(path, kind=kind, max_segment_m=max_segment_m)
    except Exception as exc:
        message = str(exc).replace(str(path), label).replace(str(path.parent), "")
        raise InvalidInput(f"cannot read network {label}: {message}", field=field) from None
    if net.n_edges == 0:
        raise InvalidInput("the network has no edges", field=field)
    return net


def _store(
    write_sessions: sessionmaker[Session], net: Network, name: str, source: str
) -> tuple[NetworkRow, bool]:
    """Store a parsed network in one transaction; an identical one already stored is returned."""
    with transaction(write_sessions) as session:
        existing = repo.network_by_version(session=session, version=net.version)
        if existing is not None:
            return existing, False
        buf = io.BytesIO()
        save_network(net, buf)
        return repo.add_network(
            session=session,
            name=name[:200],
            kind=net.kind,
            version=net.version,
            epsg=net.epsg,
            n_nodes=net.n_nodes,
            n_edges=net.n_edges,
            source=source[:500],
            data=buf.getvalue(),
        )
