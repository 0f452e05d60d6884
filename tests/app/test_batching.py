import asyncio
import threading

import pytest

from app.batching import MicroBatcher


def test_concurrent_submissions_share_model_calls_and_keep_their_results():
    calls: list[list[int]] = []
    threads: set[str] = set()

    def process(batch: list[int]) -> list[int]:
        calls.append(batch)
        threads.add(threading.current_thread().name)
        return [x * 10 for x in batch]

    async def main() -> list[int]:
        batcher = MicroBatcher(process, max_size=8, max_wait_s=0.05)
        results = await asyncio.gather(*(batcher.submit(i) for i in range(20)))
        await batcher.close()
        return results

    results = asyncio.run(main())
    assert results == [i * 10 for i in range(20)]
    assert sum(len(c) for c in calls) == 20 and max(len(c) for c in calls) <= 8
    assert len(calls) <= 4  # batched, not one call per request
    assert threading.main_thread().name not in threads  # off the event loop


def test_a_failing_batch_fails_its_callers_and_the_batcher_recovers():
    def process(batch: list[str]) -> list[str]:
        if "boom" in batch:
            raise RuntimeError("model failed")
        return [s.upper() for s in batch]

    async def main() -> str:
        batcher = MicroBatcher(process, max_size=4, max_wait_s=0.01)
        with pytest.raises(RuntimeError, match="model failed"):
            await batcher.submit("boom")
        result = await batcher.submit("ok")
        await batcher.close()
        return result

    assert asyncio.run(main()) == "OK"


def test_without_a_wait_a_lone_item_goes_at_once_and_arrivals_during_a_batch_form_the_next():
    calls: list[list[int]] = []
    first_running = threading.Event()
    release = threading.Event()

    def process(batch: list[int]) -> list[int]:
        calls.append(batch)
        if batch == [0]:
            first_running.set()
            release.wait(5)  # the model is busy: later submissions queue up
        return batch

    async def main() -> None:
        batcher = MicroBatcher(process, max_size=8, max_wait_s=0.0)
        first = asyncio.create_task(batcher.submit(0))
        await asyncio.to_thread(first_running.wait, 5)
        later = [asyncio.create_task(batcher.submit(i)) for i in range(1, 6)]
        await asyncio.sleep(0.05)
        release.set()
        assert await first == 0 and await asyncio.gather(*later) == [1, 2, 3, 4, 5]
        await batcher.close()

    asyncio.run(main())
    assert calls == [[0], [1, 2, 3, 4, 5]]
