"""A process pool made while Ctrl+C arrives is ended at once, not left to the exit."""

from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any

import pytest

from cstui.demo.pools import started_pool

FORK = multiprocessing.get_context("fork")


class InterruptedWhileMaking:
    """A context whose pool is made while a SIGINT arrives (the real signal, to this
    process, in the middle of the making)."""

    def __init__(self) -> None:
        self.made: Any = None

    def Pool(self, processes: int) -> Any:  # (the name a context gives it)
        os.kill(os.getpid(), signal.SIGINT)
        self.made = FORK.Pool(processes)
        return self.made


def test_an_interrupt_while_the_pool_is_made_ends_the_pool_then_raises() -> None:
    context = InterruptedWhileMaking()
    with pytest.raises(KeyboardInterrupt):
        started_pool(context, 2)
    workers = context.made._pool
    assert workers and all(not p.is_alive() for p in workers)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_pool_made_in_peace_works_and_leaves_ctrl_c_as_it_was() -> None:
    pool = started_pool(FORK, 2)
    with pool:
        assert pool.map(abs, [-1, -2, 3]) == [1, 2, 3]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
