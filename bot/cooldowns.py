"""Windows during which the auto-answer stays quiet: per member, and per channel per entry."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

__all__ = ["Cooldown"]


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

    def __len__(self) -> int:
        return len(self._until)
