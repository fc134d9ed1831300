"""A token bucket with the semantics of Go's ``rate.Limiter``, as sensu-agent configures it.

``rate`` tokens per second refill a bucket holding at most ``burst``; a rate of 0 (or less)
means no limit. Nothing here sleeps: ``allow`` takes a token if one is there (sensu-agent
refuses an asset download over the limit), and ``delay`` says when the next one is due, so
the sender can pace the API queue without holding up keepalives.
"""

from __future__ import annotations

import math
import time


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0 or math.isinf(self.rate)

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def allow(self) -> bool:
        """Take one token if one is there now."""
        if self.unlimited:
            return True
        self._refill()
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def delay(self) -> float:
        """Seconds until ``allow`` can succeed."""
        if self.unlimited:
            return 0.0
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate)
