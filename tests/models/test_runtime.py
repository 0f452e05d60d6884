"""Process-wide thread settings (models/runtime.py)."""

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from models.runtime import limit_blas_threads


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
