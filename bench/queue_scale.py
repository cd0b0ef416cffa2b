"""``python -m bench.queue_scale``: the job queue at scale (issue 16, point 10).

PostgreSQL + Redis, real ``flask worker`` processes, a real SMTP server (aiosmtpd) and a real
webhook receiver in this process. Orders are placed concurrently through the checkout use
case from threads of this process (manual, automatic by card, and scheduled ones that the
scheduled-orders task then executes), each by its own customer. Then it waits until every
outbox item is done and prints: e-mails sent / duplicates, provisioning jobs run / vendor calls
per job, webhooks delivered / duplicates, queue throughput (jobs/s) and the delay from commit
to delivery (p50, p99). Exit code 1 if anything was done twice or left undone.

    python -m bench.queue_scale --orders 500 --workers 2
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.queue_scale", description=__doc__)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--clients", type=int, default=8, help="threads placing orders")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--timeout", type=float, default=600.0)
    return parser.parse_args(argv)


class Receivers:
    """The SMTP server and the webhook receiver, counting what arrives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        from tests.queue_helpers import Inbox, free_port

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


def _database() -> str:
    name = f"cloudshop_queue_bench_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES.rsplit("/", 1)[0] + "/" + name


def _drop(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
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


def main(argv=None) -> int:
    args = parse(argv)
    receivers = Receivers()
    receivers.start()
    url = _database()
    env = {
        "FLASK_APP": "wsgi.py",
        "APP_ENV": "development",
        "SECRET_KEY": "queue-bench",
        "DATABASE_URL": url,
        "REDIS_URL": args.redis,
        "QUEUE_NAME": f"cloudshop-bench-{uuid.uuid4().hex[:6]}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(receivers.smtp_port),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PUBLIC_URL": "http://127.0.0.1:9",  # the sandbox's late answers are not part of this
    }
    os.environ.update(env)
    from core.db import Base, write_transaction
    from core.models import (
        Account,
        Notification,
        OutboxItem,
        ProvisioningAttempt,
        ProvisioningTask,
        User,
        WebhookDelivery,
    )
    from core.services import checkout, scheduling, webhooks
    from tests.test_storefront_checkout import GOOD_CARD, add
    from webapp import create_app, tasks
    from webapp.auth import hash_password
    from webapp.extensions import db

    app = create_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.clients + 2}})
    workers: list[subprocess.Popen] = []
    try:
        with app.app_context():
            Base.metadata.create_all(db.engine)
            from core.demo import load_demo

            with write_transaction(db.session):
                load_demo(db.session, hash_password)
                acme = db.session.scalar(select(Account).where(Account.name == "Acme Ltd"))
                alice = db.session.scalar(select(User).where(User.email == "alice@acme.example"))
                for n in range(args.orders):
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
            webhooks.create_endpoint(db.session, alice.tenant_id, receivers.hook_url, [])
            tenant_id = alice.tenant_id
            tasks.huey.flush()
            for _worker in range(args.workers):
                workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "flask", "worker", "--threads", str(args.threads)],
                        cwd=ROOT,
                        env={**os.environ, **env},
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )

        def place(n: int) -> str:
            with app.app_context():
                session = db.session
                try:
                    buyer = session.scalar(
                        select(User).where(User.email == f"buyer{n}@acme.example")
                    )
                    kind = ("manual", "automatic", "scheduled")[n % 3]
                    add(session, buyer, "MNG-FW" if kind == "manual" else "AZ-BACKUP", 2)
                    order = checkout.start_checkout(session, tenant_id, buyer)
                    tomorrow = time_now().date() + timedelta(days=2)
                    checkout.place(
                        session,
                        tenant_id,
                        buyer,
                        order.id,
                        when="scheduled" if kind == "scheduled" else "now",
                        schedule_on=tomorrow if kind == "scheduled" else None,
                        card=GOOD_CARD,
                    )
                    return kind
                finally:
                    session.remove()

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            kinds = list(pool.map(place, range(args.orders)))
        placed_in = time.perf_counter() - started
        with app.app_context():
            # the scheduled-orders task, with the clock three days on (the worker's periodic task
            # does the same every minute with the real clock)
            summary = scheduling.run_due(db.session, now=time_now() + timedelta(days=3))
            db.session.remove()
        deadline = time.monotonic() + args.timeout
        with app.app_context():
            while time.monotonic() < deadline:
                left = db.session.scalar(
                    select(func.count()).select_from(OutboxItem).where(OutboxItem.status != "done")
                )
                db.session.rollback()
                if not left:
                    break
                time.sleep(1)
            session = db.session
            items = session.execute(
                select(
                    OutboxItem.kind, OutboxItem.created_at, OutboxItem.done_at, OutboxItem.status
                )
            ).all()
            notes = session.scalar(select(func.count()).select_from(Notification))
            sent = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.sent_at.isnot(None))
            )
            jobs = session.scalar(select(func.count()).select_from(ProvisioningTask))
            calls = session.execute(
                select(ProvisioningAttempt.task_id, func.count())
                .where(ProvisioningAttempt.outcome.in_(("done", "later", "refused")))
                .group_by(ProvisioningAttempt.task_id)
            ).all()
            deliveries = session.scalar(select(func.count()).select_from(WebhookDelivery))
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        with app.app_context():
            tasks.huey.storage.flush_all()
            db.engine.dispose()
        receivers.stop()
        _drop(url)

    done = [(c, d) for _k, c, d, s in items if s == "done" and d is not None]
    delays = [(d - c).total_seconds() for c, d in done]
    span = max(d for _c, d in done) - min(c for c, _d in done) if done else timedelta(0)
    message_ids = [m["Message-ID"] for m in receivers.inbox.messages]
    mail_dupes = len(message_ids) - len(set(message_ids))
    hook_dupes = len(receivers.hooks) - len(set(receivers.hooks))
    twice = sum(1 for _t, n in calls if n > 1)
    print(
        f"orders placed: {len(kinds)} in {placed_in:.1f} s "
        f"({kinds.count('manual')} manual, {kinds.count('automatic')} automatic, "
        f"{kinds.count('scheduled')} scheduled; {len(summary.executed)} scheduled executed)"
    )
    print(f"workers: {args.workers} processes x {args.threads} threads, queue on Redis")
    print(
        f"e-mails: {notes} written, {sent} sent, {len(message_ids)} received, "
        f"{mail_dupes} duplicates"
    )
    print(f"provisioning: {jobs} jobs, {len(calls)} called the vendor, {twice} called twice")
    print(
        f"webhooks: {deliveries} deliveries, {len(receivers.hooks)} received, "
        f"{hook_dupes} duplicates"
    )
    print(f"outbox: {len(items)} items, {len(done)} done")
    if span.total_seconds() > 0:
        print(f"throughput: {len(done) / span.total_seconds():.1f} jobs/s")
    print(
        f"commit to delivery: p50 {percentile(delays, 50):.2f} s, "
        f"p99 {percentile(delays, 99):.2f} s"
    )
    ok = (
        len(done) == len(items)
        and sent == notes == len(message_ids)
        and mail_dupes == 0
        and hook_dupes == 0
        and deliveries == len(receivers.hooks)
        and twice == 0
        and len(calls) == jobs
    )
    print("OK: everything once" if ok else "FAILED: something was done twice or left undone")
    return 0 if ok else 1


def time_now():
    from core.db import utcnow

    return utcnow()


if __name__ == "__main__":
    sys.exit(main())
