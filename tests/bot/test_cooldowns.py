"""The cooldown windows."""

from __future__ import annotations

from bot.cooldowns import Cooldown


def test_window_and_expiry() -> None:
    now = [0.0]
    cooldown = Cooldown(10, clock=lambda: now[0])
    assert not cooldown.active("a")
    cooldown.trigger("a")
    assert cooldown.active("a") and not cooldown.active("b")
    now[0] = 9.5
    assert cooldown.remaining("a") == 0.5
    now[0] = 10.0
    assert not cooldown.active("a")
    assert len(cooldown) == 0


def test_zero_disables() -> None:
    cooldown = Cooldown(0)
    cooldown.trigger("a")
    assert not cooldown.active("a")


def test_expired_keys_are_swept() -> None:
    now = [0.0]
    cooldown = Cooldown(1, clock=lambda: now[0])
    for key in range(Cooldown._SWEEP_AT):
        cooldown.trigger(key)
    now[0] = 5.0
    cooldown.trigger("fresh")
    assert len(cooldown) == 1
