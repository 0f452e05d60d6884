"""Process-wide thread settings (models/runtime.py)."""

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from models.runtime import freeze_startup_objects, limit_blas_threads


def test_blas_pool_is_capped_and_torch_threads_are_left_alone():
    import torch

    torch_threads = torch.get_num_threads()
    with threadpool_limits(limits=None):  # restore whatever the test session had afterwards
        limit_blas_threads()
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
        assert torch.get_num_threads() == torch_threads
        vectors = np.ones((3, 384), dtype=np.float32)
        assert float((vectors @ vectors.T)[0, 0]) == 384.0  # products still work


def test_startup_objects_leave_the_collectors_reach_and_garbage_does_not():
    import gc

    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    collected: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "stop":
            collected.append(info["collected"])

    gc.collect()
    kept = [Node() for _ in range(50)]
    garbage = Node()
    del garbage
    gc.callbacks.append(count)
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() >= len(kept)  # the long-lived ones are out of every later collection
        assert collected and sum(collected) >= 1  # the garbage was collected first, not frozen
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
