"""Every background task of the job queue (issue 16), on Huey. Tasks only call core services.

Storage: Redis when ``REDIS_URL`` is set (several web and worker machines), else a SQLite file
in the instance folder (``instance/queue.sqlite3``: the demo and a single machine), in memory
for the tests (``QUEUE_STORAGE=memory``, where :func:`run_queued` runs what was enqueued).
Workers: ``flask worker`` (webapp/cli_worker.py).

- :func:`deliver_outbox_item` does one outbox item (an e-mail ...), enqueued after the
  use case's commit, and schedules its own retry with the back-off of core.rules.outbox;
- :func:`relay_outbox` (every minute) enqueues items left behind by a process that died
  between commit and enqueue, or by a worker that died while holding one;
- :func:`run_scheduled_orders` (every minute) executes the scheduled orders that are due
  (``flask orders run-due`` stays for cron);
- :func:`run_billing` (every day at 02:00 UTC) runs recurring billing (issue 17) for each
  tenant's today in its time zone (``flask billing run --date`` stays for cron and demos).
- :func:`run_dunning` (daily) retries failed renewal charges and suspends what stays unpaid
  (issue 17); the charges themselves are ``invoice_charge`` outbox items.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import socket
import threading
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from core.connectors import Registry, load_registry
from core.db import refresh_statistics as db_refresh_statistics
from core.db import statistics_missing
from core.services import (
    billing_run,
    dunning,
    invoice_payment,
    mail,
    notifications,
    outbox,
    provisioning,
    scheduling,
    webhooks,
)
from webapp.extensions import db

log = logging.getLogger("cloudshop.tasks")

# the storage is chosen by init_app from the app's settings; tasks are bound to this instance
huey = Huey("cloudshop", results=False, utc=True, storage_class=MemoryStorage)
_app: Flask | None = None
_registry: Registry | None = None
SANDBOX_ANSWER_DELAY = 3  # seconds before the sandbox vendor calls back


def init_app(app: Flask) -> None:
    """Bind the queue to ``app``: its storage, the outbox's dispatcher, the mail renderer."""
    global _app, _registry
    _app = app
    huey.storage = _storage(app)
    outbox.set_dispatcher(enqueue_outbox_items)
    _registry = load_registry(
        {"sandbox_secret": sandbox_secret(app), "answer_later": _sandbox_answers_later}
    )


def connectors() -> Registry:
    """The provisioning connectors found at start: built-in and installed plugins."""
    if _registry is None:
        raise RuntimeError("webapp.tasks.init_app was not called")
    return _registry


def sandbox_secret(app: Flask) -> str:
    return (
        app.config.get("SANDBOX_VENDOR_SECRET")
        or hmac.new(
            app.config["SECRET_KEY"].encode(), b"sandbox-vendor", hashlib.sha256
        ).hexdigest()
    )


def callback_url(task_id: int) -> str:
    return f"{_app.config['PUBLIC_URL'].rstrip('/')}/provisioning/callback/{task_id}"


def _storage(app: Flask):
    kind = app.config.get("QUEUE_STORAGE") or ("memory" if app.testing else "")
    name = app.config.get("QUEUE_NAME") or huey.name  # several shops on one Redis
    if kind == "memory":
        return QueueMemoryStorage(name)
    if app.config.get("REDIS_URL"):
        return QueueRedisStorage(name, url=app.config["REDIS_URL"])
    path = app.config.get("QUEUE_SQLITE_PATH") or os.path.join(app.instance_path, "queue.sqlite3")
    return QueueFileStorage(name, filename=path)


class QueueMemoryStorage(MemoryStorage):
    """Huey's in-memory storage (the tests) with :meth:`enqueue_many` as the others have it."""

    def enqueue_many(self, datas: list[bytes]) -> None:
        for data in datas:
            self.enqueue(data)


class QueueRedisStorage(RedisStorage):
    """Huey's Redis storage; :meth:`enqueue_many` pushes many messages in one command (one
    round trip), in the order given, as that many ``enqueue`` calls would (issue 19)."""

    def enqueue_many(self, datas: list[bytes]) -> None:
        if datas:
            self.conn.lpush(self.queue_key, *datas)


class QueueFileStorage(SqliteStorage):
    """Huey's SQLite storage without an fsync per enqueue (issue 19): in WAL mode
    ``synchronous=NORMAL`` never corrupts the file, it may only lose the last enqueues if the
    machine loses power. Nothing is lost with them: every task the web enqueues is an outbox
    item, committed in the application's database first, and the periodic relay enqueues any
    item left behind. Huey's default (FULL) made every executed order wait for the disk."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn

    def enqueue_many(self, datas: list[bytes]) -> None:
        """Many messages in one transaction (Huey commits each ``enqueue``: a 500-item
        order's 500 outbox items cost 500 commits of the queue file; issue 19)."""
        if not datas:
            return
        with self.db(commit=True) as cursor:
            cursor.executemany(
                "insert into task (queue, data, priority) values (?, ?, ?)",
                [(self.name, self.to_blob(data), 0) for data in datas],
            )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@contextmanager
def _app_context():
    if _app is None:
        raise RuntimeError("webapp.tasks.init_app was not called")
    with _app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


def mail_settings(app: Flask) -> mail.MailSettings:
    config = app.config
    return mail.MailSettings(
        server=config.get("MAIL_SERVER") or None,
        port=int(config.get("MAIL_PORT") or 25),
        use_tls=bool(config.get("MAIL_USE_TLS")),
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        sender=config.get("MAIL_FROM") or "no-reply@cloudshop.example",
        development=bool(config.get("DEVELOPMENT")),
    )


def _handlers() -> dict[str, outbox.Handler]:
    settings = mail_settings(_app)
    return {
        notifications.EMAIL: lambda session, item: mail.deliver(session, item, settings),
        provisioning.KIND: lambda session, item: provisioning.run(
            session, item, _registry, callback_url
        ),
        webhooks.KIND: lambda session, item: webhooks.deliver(session, item),
        # payment and dunning (issue 17): a renewal invoice's card charge
        invoice_payment.KIND: lambda session, item: invoice_payment.charge_job(session, item),
    }


def enqueue_outbox_items(ids: list[int]) -> None:
    """One :func:`deliver_outbox_item` job per item, written to the queue's storage in one
    go (one transaction of the queue file, one Redis command) instead of one write each."""
    storage = huey.storage
    if huey.immediate or not hasattr(storage, "enqueue_many"):
        for item_id in ids:
            deliver_outbox_item(item_id)
        return
    storage.enqueue_many([huey.serialize_task(deliver_outbox_item.s(i)) for i in ids])


@huey.task()
def deliver_outbox_item(item_id: int) -> str:
    with _app_context() as session:
        lease = timedelta(seconds=_app.config["OUTBOX_LEASE_SECONDS"])
        outcome = outbox.process(session, item_id, _handlers(), worker_name(), lease=lease)
    if outcome.status == "retry" and outcome.retry_at is not None:
        deliver_outbox_item.schedule((item_id,), eta=outcome.retry_at)
    return outcome.status


def _sandbox_answers_later(url: str, body: bytes, signature: str) -> None:
    sandbox_vendor_answers.schedule((url, body.decode(), signature), delay=SANDBOX_ANSWER_DELAY)


@huey.task(retries=5, retry_delay=5)
def sandbox_vendor_answers(url: str, body: str, signature: str) -> int:
    """The sandbox vendor posts its signed answer to the callback URL (a real HTTP request)."""
    from core.connectors.sandbox import SIGNATURE_HEADER

    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own URL)
        return response.status


@huey.periodic_task(crontab(minute="*"))
def relay_outbox() -> int:
    with _app_context() as session:
        ids = outbox.relay(session)
    enqueue_outbox_items(ids)
    if ids:
        log.info("relay enqueued %s outbox item(s) left behind", len(ids))
    return len(ids)


@huey.periodic_task(crontab(minute="*"))
def run_scheduled_orders() -> None:
    with _app_context() as session:
        summary = scheduling.run_due(session)
    if summary.executed or summary.returned or summary.errors:
        log.info(
            "scheduled orders: executed %s, returned %s, errors %s",
            summary.executed,
            summary.returned,
            summary.errors,
        )


@huey.periodic_task(crontab(minute="0", hour="2"))
def run_billing() -> int:
    """Recurring billing (issue 17): each tenant's run for its own today; a rerun bills
    nothing twice (core.services.billing_run)."""
    with _app_context() as session:
        results = billing_run.run_today(session, triggered_by="daily task")
    invoices = sum(r.invoices for r in results)
    log.info("billing run: %s invoice(s) for %s tenant(s)", invoices, len(results))
    return invoices


@huey.task()
def run_billing_for(tenant_id: int, run_date: str, triggered_by: str) -> int:
    """A tenant's billing run for a date, asked for in the BSS ("Run billing now")."""
    from datetime import date

    with _app_context() as session:
        result = billing_run.run_tenant(
            session, tenant_id, date.fromisoformat(run_date), triggered_by=triggered_by
        )
    return result.invoices


@huey.periodic_task(crontab(minute="30", hour="3"))
def refresh_statistics() -> bool:
    """SQLite's query planner statistics, each night (core.db.refresh_statistics: without
    them pages grow slow with the data); nothing on PostgreSQL, whose autovacuum keeps them."""
    with _app_context() as session:
        ran = db_refresh_statistics(session)
    if ran:
        log.info("SQLite statistics refreshed (ANALYZE)")
    return ran


def refresh_statistics_if_missing() -> bool:
    """At a worker's start: a SQLite database never analyzed is analyzed now, not at night."""
    with _app_context() as session:
        if not statistics_missing(session):
            return False
        return db_refresh_statistics(session)


@huey.periodic_task(crontab(minute="15", hour="6"))
def run_dunning() -> None:
    """Payment and dunning (issue 17): each day, the due retries and suspensions
    (``flask billing dunning --date D`` stays for cron and demos)."""
    with _app_context() as session:
        summary = dunning.run(session)
    log.info(
        "dunning %s: retries %s, suspended %s, resolved %s, no card %s, errors %s",
        summary.day,
        summary.retries,
        summary.suspended,
        summary.resolved,
        summary.no_card,
        len(summary.errors),
    )


def run_queued(limit: int = 1000) -> int:
    """Run what is in the queue now, in this thread (tests and the in-memory storage)."""
    done = 0
    while done < limit:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        done += 1
    return done
