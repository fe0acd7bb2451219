"""Process pools that Ctrl+C cannot leave half-made.

An interrupt that arrives while a pool is being made leaves a pool nobody holds. Its
finalizer then runs at the interpreter's exit, after the exit has killed the pool's idle
workers, and waits forever for the queue lock a killed worker held: `cstui seed` hangs
instead of exiting with 130. Here the interrupt waits until the pool is made; the pool is
then ended on the spot and the interrupt raised.
"""

from __future__ import annotations

import signal
import threading
from multiprocessing.pool import Pool
from typing import Any


def started_pool(context: Any, processes: int) -> Pool:
    """`context.Pool(processes)`, made whole or not at all."""
    if threading.current_thread() is not threading.main_thread():
        return context.Pool(processes)  # (signals reach the main thread only)
    arrived: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: arrived.append(signum))
    try:
        pool = context.Pool(processes)
    finally:
        signal.signal(signal.SIGINT, previous)
    if arrived:
        pool.terminate()
        pool.join()
        raise KeyboardInterrupt
    return pool
