"""Many conversations at once: more concurrent requests than the database pool has connections
must all be answered (a request may never hold one connection while waiting for another)."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.conftest import Service, auth

CONCURRENT = 60  # above the pool's 15 (SQLite) / 20 (PostgreSQL) connections


async def _post_all(service: Service) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=CONCURRENT)
    client = httpx.AsyncClient(base_url=service.base, headers=auth(service.key), limits=limits, timeout=25.0)
    async with client:
        return await asyncio.gather(
            *(
                client.post(f"/v1/conversations/crowd-{i}/turns", json={"role": "customer", "text": f"Order {i} late?"})
                for i in range(CONCURRENT)
            )
        )


def test_more_concurrent_turns_than_pooled_connections_are_all_stored(service: Service):
    responses = asyncio.run(_post_all(service))
    assert [r.status_code for r in responses] == [201] * CONCURRENT, [r.text[:200] for r in responses if r.is_error]
    for i in (0, CONCURRENT - 1):
        stored = httpx.get(f"{service.base}/v1/conversations/crowd-{i}", headers=auth(service.key)).json()
        assert [t["text"] for t in stored["turns"]] == [f"Order {i} late?"]
