"""Thread pools sized to the cores that are free, so a build stays fast on a busy laptop.

scikit-learn's gradient boosting and k-means run OpenMP threads, one per core by default.
When other programs keep those cores busy, the threads wait for each other at every
barrier while the scheduler runs someone else, and a 35-second build took 11-15
minutes here beside a few CPU-heavy processes (docs/performance.md). One thread per
*free* core avoids that: the build then takes its fair share and no more. Free cores are
measured from the kernel's idle counters over a short window (``/proc/stat``: what the
other processes use right now, not this process's own past work, which the load average
would count), with the load average as the fallback. A front end may fix the count
(:func:`set_thread_count`; the command line does so from ``MUSICREC_THREADS``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

#: How long the idle counters are watched (seconds).
WINDOW = 0.25
_fixed: int | None = None
_active: int | None = None


def set_thread_count(threads: int | None) -> None:
    """Use ``threads`` threads for every build from now on (None: the free cores)."""
    global _fixed
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1 (got {threads})")
    _fixed = threads


def usable_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _busy_share(window: float) -> float | None:
    """Share of all CPU time spent busy over ``window`` seconds (None off Linux)."""

    def read() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as handle:
                fields = [int(v) for v in handle.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields[:8]), idle

    first = read()
    if first is None:
        return None
    time.sleep(window)
    second = read()
    if second is None or second[0] <= first[0]:
        return None
    total, idle = second[0] - first[0], second[1] - first[1]
    return max(0.0, min(1.0, 1.0 - idle / total))


def free_cores(window: float = WINDOW) -> int:
    """Cores not kept busy by other processes right now (at least 1)."""
    cores = usable_cores()
    busy = _busy_share(window)
    if busy is not None:
        machine = os.cpu_count() or cores
        others = busy * machine  # cores' worth of work by other processes
        return max(1, min(cores, int(machine - others + 0.5)))
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        return cores
    return max(1, min(cores, int(cores - load + 0.5)))


def fixed_thread_count() -> int | None:
    """The count a front end set with :func:`set_thread_count` (None: the free cores)."""
    return _fixed


def thread_count(threads: int | None = None) -> int:
    """Threads to use: ``threads``, else the count a front end set, else the free cores."""
    if threads is not None:
        return max(1, int(threads))
    if _fixed is not None:
        return _fixed
    return free_cores()


#: Modules whose native runtimes (OpenMP through scikit-learn, BLAS through numpy) must be
#: loaded before limiting: threadpoolctl limits only libraries already loaded, and
#: scikit-learn is imported lazily, inside the fits.
RUNTIMES = ("numpy", "sklearn.ensemble", "sklearn.cluster", "sklearn.neural_network")


@contextlib.contextmanager
def limited_threads(threads: int | None = None) -> Iterator[int]:
    """OpenMP and BLAS pools limited to :func:`thread_count` threads inside the block."""
    import importlib

    from threadpoolctl import threadpool_limits

    for module in RUNTIMES:
        importlib.import_module(module)
    global _active
    count = thread_count(threads)
    outer, _active = _active, count
    try:
        with threadpool_limits(limits=count):
            yield count
    finally:
        _active = outer


def active_thread_count() -> int:
    """The threads of the enclosing :func:`limited_threads` block, for libraries that take
    a thread count of their own (implicit, LightFM); :func:`thread_count` outside one."""
    return _active if _active is not None else thread_count()
