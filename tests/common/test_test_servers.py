"""The test helpers' port picking: consecutive, free, and never an ephemeral port."""

from __future__ import annotations

import random
import socket

from tests.servers import _ephemeral_range, free_port_block


def test_port_blocks_are_free_and_below_the_ephemeral_range() -> None:
    low, high = _ephemeral_range()
    assert 0 < low < high
    for seed in range(20):
        base = free_port_block(4, random.Random(seed))
        assert base + 3 < low
        for port in range(base, base + 4):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port))  # raises if it was taken


def test_a_taken_port_is_skipped() -> None:
    base = free_port_block(3, random.Random(7))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + 1))
        holder.listen()
        again = free_port_block(3, random.Random(7))  # same first pick, now refused
    assert again != base
    assert not (again <= base + 1 < again + 3)
