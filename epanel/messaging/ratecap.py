"""The per-gateway cap on texts per second.

Each send reserves the next free slot, spaced 1/rate apart, and waits for it. A sender that
fell behind (a database commit between batches, say) may catch up on slots it missed, but
only on the last BURST_SHARE of a second's worth, so no second ever carries more than the
cap plus that share, and a long send averages the cap. With Redis the slots are reserved in
Redis, so the cap holds across every worker process; without it, in this process.
"""

import threading
import time

from flask import Flask

# Reserve the next slot atomically: slot = max(now - tolerance, next free); next free = slot + interval.
_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local free = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])  -- no history: start now, with no credit
local slot = math.max(now - tolerance, free)
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', 60000)
return tostring(slot)
"""

SLOW_DOWN_SECONDS = 1.0  # after the provider says "too many requests"
BURST_SHARE = 0.02  # missed slots a sender may catch up on, as a share of a second's sends


class NoCap:
    def wait_for_slot(self) -> None:
        pass

    def slow_down(self) -> None:
        time.sleep(SLOW_DOWN_SECONDS)


class LocalCap:
    """Slots reserved under a lock in this process."""

    def __init__(self, per_second: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / per_second
        self.tolerance = BURST_SHARE  # seconds: 2 % of a second's worth of slots
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_free: float | None = None  # no history yet: start now, with no credit

    def _reserve(self) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now - self.tolerance, now if self._next_free is None else self._next_free)
            self._next_free = slot + self.interval
            return slot

    def wait_for_slot(self) -> float:
        """Wait for the next free slot; returns its time (on this cap's clock)."""
        slot = self._reserve()
        delay = slot - self._clock()
        if delay > 0:
            self._sleep(delay)
        return slot

    def slow_down(self) -> None:
        with self._lock:
            self._next_free = max(self._next_free or 0.0, self._clock()) + SLOW_DOWN_SECONDS


class RedisCap(LocalCap):
    """Slots reserved in Redis (by wall clock, which every process shares)."""

    KEY = "epanel:sms:next-free-slot"

    def __init__(self, per_second: float, redis_client):
        super().__init__(per_second, clock=time.time)
        self._script = redis_client.register_script(_RESERVE)
        self._redis = redis_client

    def _reserve(self) -> float:
        return float(self._script(keys=[self.KEY], args=[repr(self._clock()), repr(self.interval), repr(self.tolerance)]))

    def slow_down(self) -> None:
        self._redis.set(self.KEY, repr(self._clock() + SLOW_DOWN_SECONDS), px=60000)


def rate_cap_for(app: Flask):
    """The app's cap, built once: none when EPANEL_SMS_RATE_PER_SECOND is 0."""
    cap = app.extensions.get("epanel_sms_rate_cap")
    if cap is None:
        per_second = app.config["SMS_RATE_PER_SECOND"]
        if not per_second:
            cap = NoCap()
        elif app.config.get("REDIS_URL"):
            from redis import Redis

            cap = RedisCap(per_second, Redis.from_url(app.config["REDIS_URL"]))
        else:
            cap = LocalCap(per_second)
        app.extensions["epanel_sms_rate_cap"] = cap
    return cap
