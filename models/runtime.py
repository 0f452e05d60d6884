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


def freeze_startup_objects() -> None:
    """Move every object alive now (models, tokenizers, frameworks, recognisers: about 560,000 in
    the service) out of the garbage collector's reach.

    They live for the whole process, yet each full collection walked all of them: 350 ms a time on
    2 cores, paid by whichever request happened to allocate past the threshold (the live p99), and
    the younger collections' share took a third of the request thread's time under load (py-spy
    --gil). Collect first so that startup's garbage is not frozen with them."""
    import gc

    gc.collect()
    gc.freeze()
