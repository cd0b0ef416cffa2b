"""The job queue's scale run (issue 16, point 10) at a small size, in the suite: PostgreSQL +
Redis, 2 gunicorn worker processes and 2 ``flask worker`` processes (real processes), 40 orders
placed concurrently over HTTP by signed-in customers (manual, automatic, scheduled), a real
SMTP server and webhook receiver in this process. ``python -m bench.queue_scale`` is the same
code with 500 orders. Each run has its own database and its own Redis queue name, so parallel
test workers never share a queue."""

from __future__ import annotations

from bench import queue_scale
from tests.conftest import POSTGRES_URL

ORDERS = 40


def test_40_orders_over_http_through_2_web_and_2_worker_processes_do_everything_once():
    import os

    redis = os.environ.get("TEST_REDIS_URL", queue_scale.REDIS)
    assert queue_scale.reachable(POSTGRES_URL, redis) is None  # scripts/test starts both

    result = queue_scale.run(
        ORDERS,
        web=2,
        workers=2,
        threads=4,
        clients=6,
        postgres=POSTGRES_URL,
        redis=redis,
        timeout=300,
        log=lambda _line: None,
    )

    report = "\n".join(result.lines())
    assert result.http_failures == [], report
    assert result.orders == ORDERS
    assert result.kinds == {"manual": 14, "automatic": 13, "scheduled": 13}
    assert result.scheduled_executed >= 13  # ours, and the demo's own scheduled order
    # every outbox item done; every e-mail sent once and received once
    assert result.items > 0 and result.items_done == result.items, report
    assert result.emails_written == result.emails_sent == result.emails_received, report
    assert result.email_duplicates == 0
    assert result.operations_emails == 14  # one per manual order
    # one provisioning job per automatic or scheduled order, each called the vendor once
    assert result.jobs == result.jobs_expected >= 26, report
    assert result.jobs_called == result.jobs_active == result.jobs, report
    assert result.jobs_called_twice == 0
    # every webhook delivered once, exactly the deliveries written
    assert result.deliveries > 0
    assert result.deliveries == result.deliveries_done == result.hooks_received, report
    assert result.hook_duplicates == 0 and result.hooks_unexpected == 0
    assert result.ok and report.endswith("OK: everything once")
    assert result.throughput > 0 and 0 <= result.delay_p50 <= result.delay_p99
