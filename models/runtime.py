"""Process-wide thread settings for the numpy side of inference."""

from __future__ import annotations


def limit_blas_threads(threads: int = 1) -> None:
    """Cap numpy's BLAS (OpenBLAS) thread pool.

    Our matrix products are a few sentence vectors against a few thousand stored ones:
    microseconds on one core. OpenBLAS still wakes its pool for them and its threads then
    busy-wait for the next call: under live load that spinning took 70% of a core (measured
    with perf: `blas_thread_server`) from the two the models and the requests share."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads, user_api="blas")
