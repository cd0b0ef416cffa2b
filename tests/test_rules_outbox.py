"""The outbox's retry rule: exponential back-off with a ceiling, then give up."""

from datetime import UTC, datetime, timedelta

from core.rules import outbox

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_each_failure_doubles_the_pause_before_the_next_try():
    pauses = [outbox.retry_delay(n) for n in range(1, 6)]
    assert pauses == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]


def test_the_pause_never_exceeds_six_hours():
    assert outbox.retry_delay(40) == timedelta(hours=6)


def test_a_failed_try_below_the_limit_is_tried_again_later():
    decision = outbox.after_failure(3, 8, NOW)
    assert decision.status == outbox.PENDING
    assert decision.next_attempt_at == NOW + timedelta(minutes=2)


def test_the_last_allowed_try_failing_gives_up():
    decision = outbox.after_failure(8, 8, NOW)
    assert decision.status == outbox.FAILED and decision.next_attempt_at is None
