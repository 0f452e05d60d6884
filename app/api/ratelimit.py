"""Per-key rate limit with the `limits` library (moving window).

In memory by default, so with several workers each counts its own share; point
COACHLINE_RATE_LIMIT_STORAGE at Redis (redis://host:6379, needs the `redis` package) to count
across workers and hosts.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute, storage, strategies

from app.api.errors import ApiError


class RateLimiter:
    def __init__(self, per_minute: int, storage_url: str = "memory://") -> None:
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_url))

    def check(self, key_id: str) -> None:
        """Count one request for this key; refuse with 429 and Retry-After when over the limit."""
        if self.item is None or self.limiter.hit(self.item, key_id):
            return
        reset_at = self.limiter.get_window_stats(self.item, key_id).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        message = (
            f"key {key_id} is over its {self.item.amount} requests per minute; "
            f"retry in {retry_after} s or ask for a higher COACHLINE_RATE_LIMIT_PER_MINUTE"
        )
        raise ApiError(429, "rate_limited", message, headers={"Retry-After": str(retry_after)})
