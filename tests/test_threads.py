"""Thread pools sized to the free cores, and the boosting fit reported in steps."""

from __future__ import annotations

import multiprocessing

import numpy as np

from musicrec.features.style import _boost_in_steps
from musicrec.progress import Progress
from musicrec.threads import (
    free_cores,
    set_thread_count,
    thread_count,
    usable_cores,
)


def _spin(started, stop) -> None:
    """Keep a core busy from when it says so until told to stop."""
    started.release()
    while not stop.is_set():
        pass


def test_thread_count_follows_the_override_and_stays_in_range(monkeypatch, capsys):
    from musicrec.cli import run

    try:
        set_thread_count(1)
        assert thread_count() == 1
        assert thread_count(3) == 3
        set_thread_count(None)
        assert 1 <= thread_count() <= usable_cores()
        monkeypatch.setenv("MUSICREC_THREADS", "many")  # the command line's setting
        assert run(["info"]) == 1 and "MUSICREC_THREADS must be a whole number" in (
            capsys.readouterr().err)
    finally:
        set_thread_count(None)


def test_busy_cores_are_not_counted_as_free():
    """With a busy loop on every core, no core is free (the build then uses one thread)."""
    cores = usable_cores()
    context = multiprocessing.get_context("spawn")
    started, stop = context.Semaphore(0), context.Event()
    spinners = [context.Process(target=_spin, args=(started, stop)) for _ in range(cores)]
    for spinner in spinners:
        spinner.start()
    try:
        for _ in spinners:  # a state, not a delay: every spinner is spinning
            started.acquire()
        busy = free_cores(window=0.5)
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join()
    assert busy == 1


def test_limited_threads_limits_openmp_and_blas_even_before_sklearn_is_loaded():
    """threadpoolctl limits only libraries already loaded; scikit-learn is imported lazily
    inside the fits, so the limit must load it first (a fresh process checks that)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from musicrec.threads import limited_threads\n"
        "assert 'sklearn' not in sys.modules\n"
        "with limited_threads(1):\n"
        "    from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "    from threadpoolctl import threadpool_info\n"
        "    pools = threadpool_info()\n"
        "    assert {p['user_api'] for p in pools} >= {'openmp', 'blas'}, pools\n"
        "    assert all(p['num_threads'] == 1 for p in pools), pools\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_boosting_in_steps_is_the_same_model_as_one_fit():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 6))
    y = (x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(size=3000) > 0).astype(int) + (x[:, 3] > 1)

    def make():
        return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.08,
                                              early_stopping=True, n_iter_no_change=20,
                                              random_state=0)

    seen = []
    stepped = _boost_in_steps(make(), x, y, Progress(count=lambda *a: seen.append(a)), "rounds",
                              step=20)
    whole = make().fit(x, y)
    assert stepped.n_iter_ == whole.n_iter_ < 300  # early stopping ended both alike
    assert np.array_equal(stepped.predict_proba(x), whole.predict_proba(x))
    assert stepped.get_params()["warm_start"] is False and stepped.max_iter == 300
    assert seen[-1] == ("rounds", 300, 300) and len(seen) >= 2
