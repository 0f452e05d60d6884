"""Micro-batching: concurrent requests share one model call, run off the event loop.

Callers `await batcher.submit(item)`; a single worker task takes every item already queued
(up to `max_size`), waits for more only while the oldest has waited less than `max_wait_s`,
then runs `process(batch)` in a thread so the event loop keeps serving. `process` returns one
result per item, in order.

With `max_wait_s` 0 (the service's default) nothing waits: a lone request goes straight to
the model, and under load the requests that arrive while one batch runs form the next, so
batches grow with the load and an idle service adds no latency.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class MicroBatcher(Generic[Item, Result]):
    def __init__(
        self,
        process: Callable[[list[Item]], Sequence[Result]],
        *,
        max_size: int = 32,
        max_wait_s: float = 0.005,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.process = process
        self.max_size = max_size
        self.max_wait_s = max_wait_s
        self.on_batch = on_batch  # e.g. a batch-size histogram
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Result]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run())
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            deadline = loop.time() + self.max_wait_s
            while len(batch) < self.max_size and self.max_wait_s > 0:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            live = [(item, future) for item, future in batch if not future.cancelled()]
            if not live:
                continue
            if self.on_batch is not None:
                self.on_batch(len(live))
            try:
                results = await asyncio.to_thread(self.process, [item for item, _ in live])
            except Exception as exc:  # every waiter learns of the failure
                for _, future in live:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(live, results, strict=True):
                if not future.done():
                    future.set_result(result)
