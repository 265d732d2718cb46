"""The cooldown windows."""

from __future__ import annotations

from bot.cooldowns import Cooldown, ReplyCap


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


def test_cleared_window_is_gone() -> None:
    cooldown = Cooldown(10, clock=lambda: 0.0)
    cooldown.trigger("a")
    cooldown.clear("a")
    cooldown.clear("never-set")
    assert not cooldown.active("a")


def test_reply_cap_slides_and_gives_back() -> None:
    now = [0.0]
    cap = ReplyCap(2, 10, clock=lambda: now[0])
    assert cap.take("c") and cap.take("c")
    assert not cap.take("c")
    assert cap.take("other")
    cap.give_back("c")  # that reply was never sent
    assert cap.take("c")
    now[0] = 10.0  # the first two claims have left the window
    assert cap.take("c")
    now[0] = 20.0
    assert cap.take("c") and cap.take("c") and not cap.take("c")


def test_reply_cap_zero_means_no_cap() -> None:
    cap = ReplyCap(0, 10, clock=lambda: 0.0)
    assert all(cap.take("c") for _ in range(100))
    assert len(cap) == 0
