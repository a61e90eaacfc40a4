"""Leases on coverage jobs: a replica that dies mid-job loses its jobs to the others.

Jobs are rows of a leased table (:data:`lease_sql.Leased`: runs, long-query tasks). A run
(or task) is claimed with one conditional UPDATE (owner + expiry), renewed by a heartbeat
thread while it runs, and finished only while still owned (``repository.finish_run``).
Every replica's sweeper submits runs that are queued or whose lease ran out, so a run
accepted by a replica that was killed (-9, OOM, node lost) is done by another within
about a lease and a half. Works the same on SQLite and PostgreSQL: no queue to deploy
(docs/decisions/0111-coverage-jobs-survive-a-dead-replica.md; tasks: 0113).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from services.common.db import transaction
from services.coverage import lease_sql
from services.coverage.models import RunRow

log = logging.getLogger(__name__)


def new_owner() -> str:
    """This process's name on the leases it holds: host, pid, and a random tag (pids repeat)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Heartbeat:
    """Renews ``owner``'s lease every third of it while a run executes; ``lost`` is set
    when the renewal finds the run taken over (or the database unreachable for a lease)."""

    def __init__(
        self,
        write_sessions: sessionmaker[Session],
        run_id: int,
        owner: str,
        lease_s: float,
        model: lease_sql.Leased = RunRow,
    ) -> None:
        self.write_sessions, self.run_id, self.owner, self.lease_s = (
            write_sessions,
            run_id,
            owner,
            lease_s,
        )
        self.model = model
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"coverage-lease-{model.__tablename__}-{run_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        _t: type[BaseException] | None,
        _e: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        last_ok = time.time()
        while not self._stop.wait(self.lease_s / 3):
            try:
                with transaction(self.write_sessions) as s:
                    mine = lease_sql.renew(
                        session=s,
                        model=self.model,
                        row_id=self.run_id,
                        owner=self.owner,
                        now=time.time(),
                        lease_s=self.lease_s,
                    )
            except Exception:  # noqa: BLE001  # a database hiccup: try again next beat
                log.warning(
                    "coverage %s %s: lease renewal failed",
                    self.model.__tablename__,
                    self.run_id,
                    exc_info=True,
                )
                if time.time() - last_ok > self.lease_s:
                    self.lost.set()
                continue
            if not mine:
                self.lost.set()
                return
            last_ok = time.time()


class Sweeper:
    """Every ``every_s``, hands ``submit`` the jobs (rows of ``model``) any replica may
    take (queued, or running on an expired lease); the claim in the job decides who runs each."""

    def __init__(
        self,
        read_sessions: sessionmaker[Session],
        submit: Callable[[int], None],
        every_s: float,
        model: lease_sql.Leased = RunRow,
    ) -> None:
        self.read_sessions, self.submit, self.every_s = read_sessions, submit, every_s
        self.model = model
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._sweep, name=f"coverage-sweeper-{model.__tablename__}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def sweep_once(self) -> list[int]:
        with self.read_sessions() as s:
            ids = lease_sql.claimable_ids(session=s, model=self.model, now=time.time())
        for run_id in ids:
            self.submit(run_id)
        return ids

    def _sweep(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sweep_once()
            except Exception:  # noqa: BLE001  # the next sweep tries again
                log.warning(
                    "coverage sweeper: looking for %s failed",
                    self.model.__tablename__,
                    exc_info=True,
                )
