"""Repeated failed sign-ins must wait longer and longer."""

from __future__ import annotations

from console.staff.sign_in_throttle import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_three_failures_are_free_then_the_wait_doubles() -> None:
    clock = Clock()
    throttle = SignInThrottle(free_failures=3, base_wait_seconds=2.0, clock=clock)

    for _ in range(2):
        throttle.failed("email:sam")
        assert throttle.wait_seconds("email:sam") == 0.0
    throttle.failed("email:sam")
    assert throttle.wait_seconds("email:sam") == 2.0
    throttle.failed("email:sam")
    assert throttle.wait_seconds("email:sam") == 4.0
    clock.now += 3.0
    assert throttle.wait_seconds("email:sam") == 1.0
    clock.now += 1.0
    assert throttle.wait_seconds("email:sam") == 0.0


def test_wait_counts_the_worst_of_email_and_address() -> None:
    throttle = SignInThrottle(free_failures=1, base_wait_seconds=5.0, clock=Clock())

    throttle.failed("ip:10.0.0.1")

    assert throttle.wait_seconds("email:other", "ip:10.0.0.1") == 5.0
    assert throttle.wait_seconds("email:other", "ip:10.0.0.2") == 0.0


def test_success_forgets_the_failures() -> None:
    throttle = SignInThrottle(free_failures=1, base_wait_seconds=5.0, clock=Clock())
    throttle.failed("email:sam")

    throttle.succeeded("email:sam")

    assert throttle.wait_seconds("email:sam") == 0.0


def test_an_attempt_is_counted_before_its_password_is_checked() -> None:
    """Parallel guesses cannot all slip in before the first failure is recorded."""
    throttle = SignInThrottle(free_failures=3, base_wait_seconds=5.0, clock=Clock())

    admitted = [throttle.reserve("email:sam", "ip:10.0.0.1") for _ in range(10)]

    assert admitted == [True, True, True] + [False] * 7
    assert throttle.wait_seconds("email:sam") == 5.0


def test_a_successful_attempt_gives_back_its_reservation() -> None:
    throttle = SignInThrottle(free_failures=2, base_wait_seconds=5.0, clock=Clock())
    assert throttle.reserve("email:sam")

    throttle.succeeded("email:sam")

    assert throttle.reserve("email:sam") and throttle.reserve("email:sam")
