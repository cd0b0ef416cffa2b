"""Real worker processes (``flask worker``) against a real SMTP server (aiosmtpd) in this
process (issue 16, point 9): every message is sent exactly once when a worker is killed in the
middle of sending (another takes the item over after its lease), when two workers race for
the same items (each enqueued twice), and when the web process died between commit and
enqueue (the relay finds the items). The queue is Huey's SQLite file shared by the processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from core.db import write_transaction
from core.models import Notification, OutboxItem
from core.services import outbox
from tests.conftest import FAST_HASH, _reset_schema
from tests.queue_helpers import Inbox, free_port, send_note

ROOT = Path(__file__).resolve().parents[1]


class HangingInbox(Inbox):
    """Holds the first message without answering until released, then refuses it (451)."""

    def __init__(self):
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.held = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import asyncio

        if not self.held:
            self.held = True
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def queue_backend():
    return "file"  # Huey's SQLite file; a test may ask for "redis"


@pytest.fixture
def shop(db_url, tmp_path, monkeypatch, queue_backend):
    """The demo in a database that worker processes share with this test's app."""
    from aiosmtpd.controller import Controller

    inbox = HangingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        "FLASK_APP": "wsgi.py",
        "APP_ENV": "development",
        "SECRET_KEY": "worker-test",
        "DATABASE_URL": db_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "OUTBOX_LEASE_SECONDS": "2",
        "PASSWORD_HASH_METHOD": FAST_HASH,
    }
    if queue_backend == "redis":  # the distributed engine: the local Redis (scripts/test starts it)
        env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        env["QUEUE_NAME"] = f"cloudshop-test-{uuid.uuid4().hex[:8]}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    engine = create_engine(db_url)
    if engine.dialect.name == "sqlite":
        from core.db import configure_sqlite

        configure_sqlite(engine)
    _reset_schema(engine)
    engine.dispose()
    from webapp import create_app, tasks
    from webapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    workers: list[subprocess.Popen] = []

    def start_worker(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker", "--threads", "4", "--no-periodic"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        workers.append(process)
        return process

    with app.app_context():
        from core.demo import load_demo
        from webapp.auth import hash_password

        with write_transaction(db.session):
            load_demo(db.session, hash_password)
        tasks.huey.flush()  # the demo's own work is not these tests'
        yield app, db.session, inbox, start_worker
        inbox.release.set()
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
        if queue_backend == "redis":
            tasks.huey.storage.flush_all()
        db.session.remove()
        db.engine.dispose()
    controller.stop()


def _wait(predicate, seconds=40.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _sent(session, item_ids) -> bool:
    session.rollback()
    notes = session.scalars(
        select(Notification.sent_at)
        .join(OutboxItem, OutboxItem.ref_id == Notification.id)
        .where(OutboxItem.kind == "email", OutboxItem.id.in_(item_ids))
    ).all()
    session.rollback()
    return len(notes) == len(item_ids) and all(notes)


def test_a_worker_killed_while_sending_leaves_the_message_to_another_sent_once(shop):
    from webapp import tasks

    app, session, inbox, start_worker = shop
    first = start_worker("worker-a")
    item_id = send_note(session, subject="Killed mid-send", recipient="kill@x.test")
    assert inbox.holding.wait(30), "the first worker never reached the SMTP server"
    first.send_signal(signal.SIGKILL)  # dies while the server holds its message
    first.wait(timeout=10)
    inbox.release.set()
    held = session.get(OutboxItem, item_id)
    session.refresh(held)
    assert held.status == "working" and held.attempts == 1
    session.rollback()
    start_worker("worker-b")
    time.sleep(2.5)  # the dead worker's lease runs out
    tasks.relay_outbox.call_local()  # the periodic relay
    assert _wait(lambda: _sent(session, [item_id]))
    ours = [m for m in inbox.messages if m["To"] == "kill@x.test"]
    assert len(ours) == 1
    done = session.get(OutboxItem, item_id)
    session.refresh(done)
    assert done.status == "done" and done.attempts == 2


@pytest.mark.parametrize("queue_backend", ["file", "redis"])
def test_two_racing_workers_send_every_message_once_even_when_enqueued_twice_or_lost(shop):
    from webapp import tasks

    app, session, inbox, start_worker = shop
    inbox.held = True  # no hanging in this test
    outbox.set_dispatcher(None)  # the web process dies between commit and enqueue ...
    try:
        lost = [send_note(session, recipient=f"lost{n}@x.test") for n in range(5)]
    finally:
        outbox.set_dispatcher(tasks.enqueue_outbox_items)
    twice = [send_note(session, recipient=f"twice{n}@x.test") for n in range(15)]
    tasks.enqueue_outbox_items(twice)  # ... and these are enqueued a second time
    start_worker("worker-a")
    start_worker("worker-b")
    tasks.relay_outbox.call_local()  # the relay finds the lost ones
    everything = lost + twice
    assert _wait(lambda: _sent(session, everything), 60)
    ids = [m["Message-ID"] for m in inbox.messages]
    assert len(ids) == len(set(ids))
    to = sorted(m["To"] for m in inbox.messages if m["To"].startswith(("lost", "twice")))
    assert len(to) == 20
    attempts = session.scalars(select(OutboxItem.attempts).where(OutboxItem.id.in_(everything)))
    assert set(attempts) == {1}
