"""How often the auto-answer may speak: cooldowns per member and per channel and entry, and a
cap on replies per channel.

Both are claimed before a reply is sent (so two messages handled at once cannot both pass)
and given back when the reply could not be sent, so a failed send uses nothing up.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

__all__ = ["Cooldown", "ReplyCap"]


class Cooldown:
    """Remembers when each key last fired and says whether it may fire again.

    The clock is injectable so tests need no sleeping. Expired keys are swept once the map
    grows, so memory stays bounded by the number of keys active within one window.
    """

    _SWEEP_AT = 4096

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._until: dict[Hashable, float] = {}

    def remaining(self, key: Hashable) -> float:
        """Seconds until `key` may fire again (0 when it may fire now)."""
        until = self._until.get(key)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._until[key]
            return 0.0
        return left

    def active(self, key: Hashable) -> bool:
        """True while `key` is cooling down."""
        return self.remaining(key) > 0

    def trigger(self, key: Hashable) -> None:
        """Start the window for `key` now."""
        if self.seconds <= 0:
            return
        now = self._clock()
        if len(self._until) >= self._SWEEP_AT:
            self._until = {k: t for k, t in self._until.items() if t > now}
        self._until[key] = now + self.seconds

    def clear(self, key: Hashable) -> None:
        """Forget `key`'s window (the reply that started it was never sent)."""
        self._until.pop(key, None)

    def __len__(self) -> int:
        return len(self._until)


class ReplyCap:
    """At most `limit` replies per key (a channel) within any `seconds`; 0 means no cap."""

    _SWEEP_AT = 4096

    def __init__(
        self, limit: int, seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._sent: dict[Hashable, deque[float]] = {}

    def _recent(self, key: Hashable) -> deque[float]:
        times = self._sent.get(key)
        if times is None:
            return deque()
        horizon = self._clock() - self.seconds
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._sent[key]
        return times

    def take(self, key: Hashable) -> bool:
        """Claim a reply for `key` now; False when the cap is reached (send nothing then)."""
        if self.limit <= 0:
            return True
        if len(self._sent) >= self._SWEEP_AT:
            for idle in list(self._sent):
                self._recent(idle)
        if len(self._recent(key)) >= self.limit:
            return False
        self._sent.setdefault(key, deque()).append(self._clock())
        return True

    def give_back(self, key: Hashable) -> None:
        """Return the last claim for `key` (its reply could not be sent)."""
        times = self._sent.get(key)
        if times:
            times.pop()
            if not times:
                del self._sent[key]

    def __len__(self) -> int:
        return len(self._sent)
