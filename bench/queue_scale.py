"""``python -m bench.queue_scale``: the job queue at scale (issue 16, point 10).

PostgreSQL + Redis; 2 gunicorn processes (the web) and 2 ``flask worker`` processes, all real
processes on the same database and queue; a real SMTP server (aiosmtpd) and a real webhook
receiver in this process. Customers (one per order, each signed in with its own session) place
the orders concurrently **over HTTP through the gunicorn processes**, the whole checkout as a
browser does it: add to basket, checkout, billing details, place with a test card. A third of
them buy a manual product (an operations e-mail, the order waits for the BSS), a third an
automatic one (executed at once: provisioned through the sandbox vendor), a third the automatic
one scheduled for the earliest allowed day, then run by the scheduled-orders task with the clock
moved past that day. Then it waits until every outbox item is done and prints: e-mails sent /
duplicates, provisioning jobs run / vendor calls per job, webhooks delivered / duplicates, queue
throughput (jobs/s) and the delay from commit to delivery (p50, p99). Exit code 1 if anything
was done twice or left undone.

    python -m bench.queue_scale --orders 500 --web 2 --workers 2

:func:`run` is the same run as a function (``python -m bench`` and ``tests/test_queue_scale.py``
call it with fewer orders).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"
PASSWORD = "demo-password"
KINDS = ("manual", "automatic", "scheduled")
CARD = {
    "card_holder": "Queue Buyer",
    "card_number": "4242424242424242",
    "card_expiry": "12/35",
    "card_cvc": "123",
}
BILLING = {"billing_name": "Queue Buyer", "billing_address": "1 Queue St", "payment_method": "card"}


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.queue_scale", description=__doc__)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--web", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--clients", type=int, default=8, help="customers buying at once")
    parser.add_argument("--postgres", default=POSTGRES, help="server (a database is created)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", REDIS))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to drain")
    return parser.parse_args(argv)


@dataclass
class Result:
    """What one run counted (see :attr:`ok` and :meth:`lines`)."""

    orders: int = 0
    web: int = 0
    workers: int = 0
    threads: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    http_failures: list[str] = field(default_factory=list)
    placed_seconds: float = 0.0
    scheduled_executed: int = 0
    emails_written: int = 0
    emails_sent: int = 0
    emails_received: int = 0
    email_duplicates: int = 0
    operations_emails: int = 0
    jobs: int = 0
    jobs_expected: int = 0
    jobs_active: int = 0
    jobs_called: int = 0
    jobs_called_twice: int = 0
    deliveries: int = 0
    deliveries_done: int = 0
    hooks_received: int = 0
    hook_duplicates: int = 0
    hooks_unexpected: int = 0  # received and not written, or written and never received
    items: int = 0
    items_done: int = 0
    throughput: float = 0.0  # outbox items done per second, first commit to last delivery
    delay_p50: float = 0.0
    delay_p99: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.http_failures
            and self.orders > 0
            and self.items_done == self.items
            and self.emails_sent == self.emails_written == self.emails_received
            and self.email_duplicates == 0
            and self.operations_emails >= self.kinds.get("manual", 0)
            and self.jobs == self.jobs_expected == self.jobs_called == self.jobs_active
            and self.jobs_called_twice == 0
            and self.deliveries == self.deliveries_done == self.hooks_received
            and self.hook_duplicates == 0
            and self.hooks_unexpected == 0
        )

    def lines(self) -> list[str]:
        k = self.kinds
        lines = [
            f"orders placed over HTTP: {self.orders} in {self.placed_seconds:.1f} s through "
            f"{self.web} gunicorn processes ({k.get('manual', 0)} manual, "
            f"{k.get('automatic', 0)} automatic, {k.get('scheduled', 0)} scheduled; "
            f"{self.scheduled_executed} scheduled executed)",
            f"workers: {self.workers} processes x {self.threads} threads, queue on Redis",
            f"e-mails: {self.emails_written} written, {self.emails_sent} sent, "
            f"{self.emails_received} received ({self.operations_emails} to operations), "
            f"{self.email_duplicates} duplicates",
            f"provisioning: {self.jobs} jobs ({self.jobs_expected} expected), "
            f"{self.jobs_called} called the vendor, {self.jobs_called_twice} called twice, "
            f"{self.jobs_active} Active",
            f"webhooks: {self.deliveries} deliveries, {self.deliveries_done} done, "
            f"{self.hooks_received} received, {self.hook_duplicates} duplicates",
            f"outbox: {self.items} items, {self.items_done} done",
            f"throughput: {self.throughput:.1f} jobs/s",
            f"commit to delivery: p50 {self.delay_p50:.2f} s, p99 {self.delay_p99:.2f} s",
        ]
        lines += [f"HTTP failure: {f}" for f in self.http_failures[:5]]
        lines.append(
            "OK: everything once" if self.ok else "FAILED: something was done twice or left undone"
        )
        return lines


class Inbox:
    """An aiosmtpd handler that keeps the Message-ID and recipients of every message."""

    def __init__(self):
        self.messages: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append((message["Message-ID"], message["To"]))
        return "250 Message accepted for delivery"


class Receivers:
    """The SMTP server and the webhook receiver, counting what arrives."""

    def __init__(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per command
        self.inbox = Inbox()
        self.smtp_port = free_port()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=self.smtp_port)
        self.hooks: list[str] = []
        lock = threading.Lock()
        hooks = self.hooks

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    hooks.append(self.headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.hook_url = f"http://127.0.0.1:{self.http.server_address[1]}/hooks"

    def start(self):
        self.smtp.start()
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self):
        self.smtp.stop()
        self.http.shutdown()
        self.http.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database(server: str) -> str:
    name = f"cloudshop_queue_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def _drop(server: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def reachable(postgres: str = POSTGRES, redis: str = REDIS) -> str | None:
    """None when PostgreSQL and Redis answer, else why not (for the benchmark's skip line)."""
    try:
        engine = create_engine(postgres, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001
        return f"PostgreSQL is not reachable at {postgres} ({type(error).__name__})"
    try:
        import redis as redis_client

        redis_client.Redis.from_url(redis, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001
        return f"Redis is not reachable at {redis} ({type(error).__name__})"
    return None


class Process:
    """A child process in its own process group (gunicorn's workers die with it)."""

    def __init__(self, command: list[str], env: dict, log: Path):
        self.log = log
        self._output = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_listening(self, port: int, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if self.popen.poll() is not None:
                    break
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._output.close()


def _path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def buy(
    base: str,
    email: str,
    product: tuple[int, int],
    schedule_on: str | None = None,
    quantity: int = 2,
    password: str = PASSWORD,
) -> None:
    """One customer's whole checkout over HTTP, as a browser does it; raises if it fails."""
    from bench.client import Browser

    browser = Browser(base)
    browser.sign_in("/login", email, password, "/basket")
    product_id, plan_id = product
    steps = []

    def expect(response, step: str, statuses=(200, 303)):
        steps.append(step)
        if response.status not in statuses:
            raise RuntimeError(f"{email}: {step} answered HTTP {response.status}")
        return response

    expect(
        browser.post(
            f"/products/{product_id}/add",
            {"plan_id": str(plan_id), "quantity": str(quantity), "back": ""},
        ),
        "add to basket",
    )
    started = expect(browser.post("/checkout", {}), "checkout", (303,))
    billing = _path(started.headers["location"])
    expect(browser.get(billing), "billing page", (200,))
    review = expect(browser.post(billing, BILLING), "billing details", (303,))
    review_path = _path(review.headers["location"])
    expect(browser.get(review_path), "review page", (200,))
    when = {"when": "scheduled", "schedule_on": schedule_on} if schedule_on else {"when": "now"}
    placed = expect(
        browser.post(review_path.replace("/review", "/place"), {**when, **CARD}), "place", (303,)
    )
    if "confirmation" not in placed.headers.get("location", ""):
        raise RuntimeError(f"{email}: the order was not placed ({placed.headers})")


def run(
    orders: int = 500,
    *,
    web: int = 2,
    workers: int = 2,
    threads: int = 4,
    clients: int = 8,
    postgres: str = POSTGRES,
    redis: str = REDIS,
    timeout: float = 900.0,
    log=print,
) -> Result:
    """The whole run (see the module's text); every process and the database are gone after."""
    import logging

    from core.db import Base, utcnow, write_transaction
    from core.models import (
        Account,
        Notification,
        OutboxItem,
        Plan,
        Product,
        ProvisioningAttempt,
        ProvisioningTask,
        User,
        WebhookDelivery,
    )
    from core.services import scheduling, webhooks
    from webapp import create_app, tasks
    from webapp.extensions import db

    result = Result(web=web, workers=workers, threads=threads)
    quiet = logging.getLogger("cloudshop")  # this process's notes/relay lines, not the report's
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    receivers = Receivers()
    receivers.start()
    url = _database(postgres)
    run_id = uuid.uuid4().hex[:8]
    settings = {
        "SECRET_KEY": f"queue-bench-{run_id}",
        "REDIS_URL": redis,
        "QUEUE_NAME": f"cloudshop-queue-bench-{run_id}",  # parallel runs never share a queue
        "QUEUE_STORAGE": "",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(receivers.smtp_port),
        "MAIL_FROM": "shop@queue-bench.example",
        "OPERATIONS_EMAIL": "operations@queue-bench.example",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PUBLIC_URL": "http://127.0.0.1:9",  # the sandbox's late answers are not part of this
        "WEBHOOKS_ALLOW_INSIDE": "1",  # the webhook receiver runs on this machine
    }
    env = {
        **os.environ,
        **settings,
        "FLASK_APP": "wsgi.py",
        "APP_ENV": "production",
        "DATABASE_URL": url,
        "RATELIMIT_KEY_PREFIX": f"queue-bench-{run_id}",
        "PYTHONUNBUFFERED": "1",
    }
    config = {
        **settings,
        "MAIL_PORT": receivers.smtp_port,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }
    app = create_app(config)
    children: list[Process] = []
    logs = Path(tempfile.mkdtemp(prefix="queue-bench-"))
    try:
        with app.app_context():
            Base.metadata.create_all(db.engine)
            from core.demo import load_demo
            from webapp.auth import hash_password

            with write_transaction(db.session):
                load_demo(db.session, hash_password)
                acme = db.session.scalar(select(Account).where(Account.name == "Acme Ltd"))
                alice = db.session.scalar(select(User).where(User.email == "alice@acme.example"))
                for n in range(orders):
                    db.session.add(
                        User(
                            tenant_id=alice.tenant_id,
                            kind=alice.kind,
                            role=alice.role,
                            account_id=acme.id,
                            name=f"Buyer {n}",
                            email=f"buyer{n}@acme.example",
                            password_hash=alice.password_hash,
                        )
                    )
            products = {}
            for kind, code in (("manual", "MNG-FW"), ("automatic", "AZ-BACKUP")):
                product = db.session.scalar(
                    select(Product).where(
                        Product.tenant_id == alice.tenant_id, Product.code == code
                    )
                )
                plan = db.session.scalar(
                    select(Plan).where(Plan.product_id == product.id).order_by(Plan.id)
                )
                products[kind] = (product.id, plan.id)
            webhooks.create_endpoint(db.session, alice.tenant_id, receivers.hook_url, [])
            first_day = (utcnow() + timedelta(days=2)).date().isoformat()
            last_task_before = db.session.scalar(select(func.max(ProvisioningTask.id))) or 0
            last_item_before = db.session.scalar(select(func.max(OutboxItem.id))) or 0
            db.session.remove()
        tasks.huey.flush()  # a queue of this run only: empty (the demo's work is done below)

        for n in range(workers):
            command = [sys.executable, "-m", "flask", "worker", "--threads", str(threads)]
            if n:
                command.append("--no-periodic")  # one worker runs the periodic tasks
            children.append(Process(command, env, logs / f"worker-{n}.log"))
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(web),
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "wsgi:app",
        ]
        gunicorn = Process(command, env, logs / "gunicorn.log")
        children.append(gunicorn)
        gunicorn.wait_listening(port)
        base = f"http://127.0.0.1:{port}"
        log(
            f"queue run: {orders} orders over HTTP, {web} gunicorn + {workers} worker "
            f"processes, queue {settings['QUEUE_NAME']} on {redis}"
        )

        lock = threading.Lock()

        def place(n: int) -> str:
            kind = KINDS[n % 3]
            product = products["manual" if kind == "manual" else "automatic"]
            try:
                buy(
                    base,
                    f"buyer{n}@acme.example",
                    product,
                    first_day if kind == "scheduled" else None,
                )
            except Exception as error:  # noqa: BLE001
                with lock:
                    result.http_failures.append(str(error)[:300])
            return kind

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            kinds = list(pool.map(place, range(orders)))
        result.placed_seconds = time.perf_counter() - started
        result.orders = len(kinds) - len(result.http_failures)
        result.kinds = {k: kinds.count(k) for k in KINDS}

        with app.app_context():
            # the scheduled-orders task, with the clock three days on (the worker's periodic
            # task does the same every minute with the real clock)
            summary = scheduling.run_due(db.session, now=utcnow() + timedelta(days=3))
            result.scheduled_executed = len(summary.executed)
            db.session.remove()
            tasks.relay_outbox.call_local()  # the demo's own items, flushed above

        deadline = time.monotonic() + timeout
        with app.app_context():
            session = db.session
            while time.monotonic() < deadline:
                left = session.scalar(
                    select(func.count()).select_from(OutboxItem).where(OutboxItem.status != "done")
                )
                session.rollback()
                if not left:
                    break
                time.sleep(1)
            items = session.execute(
                select(OutboxItem.id, OutboxItem.created_at, OutboxItem.done_at, OutboxItem.status)
            ).all()
            result.emails_written = session.scalar(select(func.count()).select_from(Notification))
            result.emails_sent = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.sent_at.isnot(None))
            )
            ours = ProvisioningTask.id > last_task_before  # the demo's own tasks aside
            tasks_run = session.execute(
                select(ProvisioningTask.status, ProvisioningTask.connector).where(ours)
            ).all()
            result.jobs = len(tasks_run)
            result.jobs_expected = result.kinds.get("automatic", 0) + result.scheduled_executed
            result.jobs_active = sum(
                1
                for status, connector in tasks_run
                if status == "active" and connector == "sandbox"
            )
            calls = session.execute(
                select(ProvisioningAttempt.task_id, func.count())
                .where(
                    ProvisioningAttempt.task_id > last_task_before,
                    ProvisioningAttempt.outcome.in_(("done", "later", "refused")),
                )
                .group_by(ProvisioningAttempt.task_id)
            ).all()
            result.jobs_called = len(calls)
            result.jobs_called_twice = sum(1 for _t, n in calls if n > 1)
            delivery_ids = set(session.scalars(select(WebhookDelivery.message_id)))
            result.deliveries = session.scalar(select(func.count()).select_from(WebhookDelivery))
            result.deliveries_done = session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == "delivered")
            )
            session.rollback()
            db.session.remove()
    finally:
        for process in children:
            process.stop()
        with app.app_context():
            tasks.huey.storage.flush_all()
            db.engine.dispose()
        receivers.stop()
        _drop(postgres, url)
        quiet.setLevel(level)

    done = [(i, c, d) for i, c, d, s in items if s == "done" and d is not None]
    # jobs/s and delays of this run's items (the demo's own, written at setup, wait for it)
    ours = [(c, d) for i, c, d in done if i > last_item_before]
    delays = [max(0.0, (d - c).total_seconds()) for c, d in ours]
    span = (max(d for _c, d in ours) - min(c for c, _d in ours)).total_seconds() if ours else 0
    message_ids = [m for m, _to in receivers.inbox.messages]
    result.emails_received = len(message_ids)
    result.email_duplicates = len(message_ids) - len(set(message_ids))
    result.operations_emails = sum(
        1 for _m, to in receivers.inbox.messages if to == settings["OPERATIONS_EMAIL"]
    )
    result.hooks_received = len(receivers.hooks)
    result.hook_duplicates = len(receivers.hooks) - len(set(receivers.hooks))
    result.hooks_unexpected = len(set(receivers.hooks) ^ delivery_ids)
    result.items, result.items_done = len(items), len(done)
    result.throughput = len(ours) / span if span > 0 else 0.0
    result.delay_p50, result.delay_p99 = percentile(delays, 50), percentile(delays, 99)
    return result


QUEUE_HEADERS = (
    "job queue",
    "orders",
    "processes",
    "jobs",
    "jobs/s",
    "delay p50 s",
    "delay p99 s",
    "exactly once",
)


def queue_table(result: Result) -> str:
    """The benchmark's "Job queue" table: one row for one run."""
    from bench.report import markdown_table

    once = "OK" if result.ok else "FAILED (python -m bench.queue_scale prints the counts)"
    return markdown_table(
        QUEUE_HEADERS,
        [
            [
                "orders over HTTP → e-mails, provisioning, webhooks",
                str(result.orders),
                f"{result.web} gunicorn + {result.workers} workers",
                str(result.items_done),
                f"{result.throughput:.1f}",
                f"{result.delay_p50:.2f}",
                f"{result.delay_p99:.2f}",
                once,
            ]
        ],
    )


def bench_section(args, log=print) -> tuple[list[str], bool]:
    """``python -m bench``'s "Job queue" section: a short run (100 orders, 30 with --quick)
    when PostgreSQL and Redis answer, else a line saying why it was skipped. Returns the lines
    and whether the run was right (a skipped run is not a failure)."""
    if args.only and "queue" not in args.only.split(","):
        return [], True
    orders = 30 if args.quick else 100
    postgres = args.postgres or POSTGRES
    if not postgres.startswith("postgresql"):
        postgres = POSTGRES
    redis = os.environ.get("REDIS_URL", REDIS)
    lines = ["", "## Job queue (PostgreSQL + Redis)", ""]
    why = reachable(postgres, redis)
    if why:
        return lines + [f"Skipped: {why}."], True
    log(f"job queue: {orders} orders ...")
    result = run(orders, postgres=postgres, redis=redis, timeout=600, log=log)
    conditions = (
        f"{result.orders} orders placed over HTTP by 8 signed-in customers at once "
        "(manual, automatic, scheduled); jobs = outbox items done (e-mails, provisioning "
        "calls, webhooks); jobs/s from the first commit to the last delivery; delay = commit "
        "to delivery; exactly once = every e-mail, provisioning job and webhook once."
    )
    return lines + [conditions, "", queue_table(result)], result.ok


def main(argv=None) -> int:
    args = parse(argv)
    result = run(
        args.orders,
        web=args.web,
        workers=args.workers,
        threads=args.threads,
        clients=args.clients,
        postgres=args.postgres,
        redis=args.redis,
        timeout=args.timeout,
    )
    print("\n".join(result.lines()))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
