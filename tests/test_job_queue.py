"""The job queue and the transactional outbox (issue 16): work is written with the use case's
transaction, enqueued after commit, relayed when the enqueue was lost, claimed under a lock so
it is done once, retried with back-off and, after the limit, failed until a BSS user retries it.
On SQLite and PostgreSQL; the queue is Huey's in-memory storage, run in this thread."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import utcnow, write_transaction
from core.models import Notification, OutboxItem
from core.rules import outbox as rules
from core.services import outbox
from tests.conftest import login, soup, text_of
from tests.queue_helpers import count, demo_tenant_id, item, note_of, send_note
from webapp import tasks


@pytest.fixture(autouse=True)
def _nothing_queued_but_ours(request):
    """The demo's own work (its executions' messages and provisioning) is not this test's."""
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")
        tasks.huey.flush()


def test_a_committed_message_is_enqueued_and_sent_once(app, session, demo):
    item_id = send_note(session)
    assert len(tasks.huey) == 1  # enqueued by the commit, nothing else
    assert tasks.run_queued() == 1
    done = item(session, item_id)
    assert done.status == rules.DONE and done.attempts == 1
    note = note_of(session, item_id)
    assert note.sent_at is not None and note.transport == "mailbox"
    # running the queue (or the relay) again does nothing more
    tasks.relay_outbox.call_local()
    tasks.run_queued()
    assert item(session, item_id).attempts == 1


def test_one_message_is_two_inserts_and_no_orm_object(app, session, demo, count_queries):
    """A message and its outbox item are written with two Core INSERTs (issue 19, seventh
    pass: they were two ORM objects, the message flushed on its own for its id)."""
    from core.services.notifications import notify

    tenant_id = demo_tenant_id(session)
    with write_transaction(session):
        with count_queries() as q:
            note_id = notify(session, tenant_id, "manual_order", "a@b.test", "S", "B")
        assert not session.new  # nothing left for the ORM to flush
    inserts = [s.split("(")[0].strip() for s in q.statements if s.startswith("INSERT")]
    assert inserts == ["INSERT INTO notification", "INSERT INTO outbox_item"]
    assert session.get(Notification, note_id).subject == "S"
    assert tasks.run_queued() == 1  # enqueued by the commit


def test_a_rolled_back_use_case_leaves_no_message_and_enqueues_nothing(app, session, demo):
    from core.services.notifications import notify

    before = count(session, OutboxItem)
    with pytest.raises(RuntimeError), write_transaction(session):
        notify(session, demo_tenant_id(session), "manual_order", "a@b.test", "S", "B")
        session.flush()
        raise RuntimeError("the use case failed after writing the message")
    assert count(session, OutboxItem) == before
    assert len(tasks.huey) == 0


def test_the_relay_finds_what_a_process_dying_between_commit_and_enqueue_left(app, session, demo):
    outbox.set_dispatcher(None)  # the web process died right after its commit
    try:
        item_id = send_note(session)
    finally:
        outbox.set_dispatcher(tasks.enqueue_outbox_items)
    assert len(tasks.huey) == 0
    assert tasks.relay_outbox.call_local() >= 1
    tasks.run_queued()
    assert item(session, item_id).status == rules.DONE
    assert count(session, Notification, Notification.sent_at.is_(None)) == 0


def test_an_enqueue_that_fails_loses_nothing(app, session, demo):
    def broken(ids):
        raise ConnectionError("queue storage down")

    outbox.set_dispatcher(broken)
    try:
        item_id = send_note(session)  # the use case still succeeds
    finally:
        outbox.set_dispatcher(tasks.enqueue_outbox_items)
    assert item_id in outbox.relay(session)


def test_items_reach_the_queue_at_the_real_commit_not_when_a_savepoint_is_released(
    app, session, demo, db_url
):
    """SQLAlchemy calls after_commit for a released SAVEPOINT too (an automatic checkout
    records its back-orders in one, inside the execution): items must reach the queue only
    when the whole transaction is committed, or a worker finds nothing to claim and they wait
    a minute for the relay."""
    from sqlalchemy import create_engine

    from core.services.notifications import notify

    probe = create_engine(db_url)  # another connection, as a worker process has
    seen: list[tuple[list[int], list[int]]] = []

    def dispatcher(ids):
        with probe.connect() as conn:
            visible = conn.scalars(select(OutboxItem.id).where(OutboxItem.id.in_(ids))).all()
        seen.append((sorted(ids), sorted(visible)))
        tasks.enqueue_outbox_items(ids)

    def note(subject):
        notify(session, demo_tenant_id(session), "manual_order", "ops@x.test", subject, "B")
        session.flush()

    outbox.set_dispatcher(dispatcher)
    try:
        with write_transaction(session):
            note("before the savepoint")
            with session.begin_nested():
                note("inside the savepoint")
            with pytest.raises(RuntimeError), session.begin_nested():
                note("rolled back with its savepoint")
                raise RuntimeError("a savepoint rolled back")
            note("after the savepoints")
    finally:
        outbox.set_dispatcher(tasks.enqueue_outbox_items)
        probe.dispose()
    assert len(seen) == 1, seen  # once, at the commit
    ids, visible = seen[0]
    assert len(visible) == 3 and set(visible) <= set(ids)  # committed, so a worker sees them
    tasks.run_queued()
    subjects = session.scalars(
        select(Notification.subject).where(Notification.sent_at.is_not(None))
    ).all()
    session.rollback()
    assert {"before the savepoint", "inside the savepoint", "after the savepoints"} <= set(subjects)
    assert "rolled back with its savepoint" not in subjects


def test_two_workers_claiming_the_same_item_act_once(app, session, demo):
    item_id = send_note(session)
    now = utcnow()
    assert outbox.claim(session, item_id, "worker-1", now) is True
    assert outbox.claim(session, item_id, "worker-2", now) is False
    assert item(session, item_id).locked_by == "worker-1"


def test_racing_workers_in_threads_run_the_handler_once(app, session, demo):
    from webapp.extensions import db

    item_id = send_note(session)
    calls = []
    lock = threading.Lock()

    def handler(s, it):
        with lock:
            calls.append(it.id)

    outcomes = []
    start = threading.Barrier(6)

    def work(n):
        with app.app_context():
            start.wait()
            try:
                outcomes.append(
                    outbox.process(db.session, item_id, {"email": handler}, f"worker-{n}").status
                )
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [item_id]
    assert sorted(outcomes) == ["done"] + ["skipped"] * 5


def test_an_item_held_by_a_dead_worker_is_taken_over_after_its_lease(app, session, demo):
    item_id = send_note(session)
    claimed_at = utcnow()
    assert outbox.claim(session, item_id, "dead-worker", claimed_at)  # ... and it dies
    assert item_id not in outbox.relay(session, now=claimed_at + timedelta(minutes=1))
    later = claimed_at + rules.LEASE + timedelta(seconds=1)
    assert item_id in outbox.relay(session, now=later)
    sent = []
    outcome = outbox.process(
        session, item_id, {"email": lambda s, it: sent.append(it.id)}, "worker-2", now=later
    )
    assert outcome.status == "done" and sent == [item_id]
    assert item(session, item_id).attempts == 2  # the history shows both tries


def test_failures_back_off_then_give_up_and_show_as_failed(app, session, demo):
    item_id = send_note(session)

    def refuse(s, it):
        raise ConnectionRefusedError("vendor down")

    now = utcnow()
    first = outbox.process(session, item_id, {"email": refuse}, "w", now=now)
    assert first.status == "retry" and first.retry_at == now + timedelta(seconds=30)
    assert outbox.process(session, item_id, {"email": refuse}, "w", now=now).status == "skipped"
    for _attempt in range(2, rules.MAX_ATTEMPTS + 1):
        now = item(session, item_id).next_attempt_at
        outcome = outbox.process(session, item_id, {"email": refuse}, "w", now=now)
    assert outcome.status == "failed"
    failed = item(session, item_id)
    assert failed.status == rules.FAILED and failed.attempts == rules.MAX_ATTEMPTS
    assert "vendor down" in failed.last_error
    assert item_id not in outbox.relay(session, now=now + timedelta(days=1))


def test_a_failed_task_schedules_its_own_retry_on_the_queue(app, session, demo):
    app.config.update(APP_ENV="production", DEVELOPMENT=False)  # no MAIL_SERVER: cannot send
    item_id = send_note(session)
    tasks.run_queued()
    pending = item(session, item_id)
    assert pending.status == rules.PENDING and "MAIL_SERVER" in pending.last_error
    assert len(tasks.huey.scheduled()) == 1  # the retry waits in Huey's schedule


def _fail_for_good(session, item_id):
    with write_transaction(session):
        row = session.get(OutboxItem, item_id)
        row.status, row.attempts, row.last_error = rules.FAILED, 8, "SMTPException: boom"


def test_the_bss_lists_a_failed_item_and_retry_sends_it(app, client, session, demo):
    item_id = send_note(session, subject="Order SO0000042 needs you")
    tasks.huey.flush()
    _fail_for_good(session, item_id)
    login(client, "admin@skyline.example")
    page = text_of(client.get("/bss/outbox?status=failed"))
    assert "Order SO0000042 needs you" in page and "SMTPException: boom" in page
    assert "Retry" in page
    response = client.post(f"/bss/outbox/{item_id}/retry")
    assert response.status_code == 303
    retried = item(session, item_id)
    assert retried.status == rules.PENDING and retried.attempts == 0
    assert tasks.run_queued() == 1
    assert item(session, item_id).status == rules.DONE
    assert note_of(session, item_id).sent_at is not None


def test_retrying_an_item_that_is_not_failed_changes_nothing(app, client, session, demo):
    item_id = send_note(session)
    tasks.run_queued()
    login(client, "admin@skyline.example")
    response = client.post(f"/bss/outbox/{item_id}/retry", follow_redirects=True)
    assert "Only a failed item can be retried." in text_of(response)
    assert item(session, item_id).status == rules.DONE


def test_another_tenants_item_cannot_be_retried(app, client, session, demo):
    item_id = send_note(session)
    _fail_for_good(session, item_id)
    login(client, "admin@nimbus.example")
    assert client.post(f"/bss/outbox/{item_id}/retry").status_code == 404
    assert item(session, item_id).status == rules.FAILED


def test_every_filter_of_the_outgoing_and_provisioning_lists_answers_200(app, client, demo):
    # the filter was handed to page() as "status", which is the HTTP status: the answer's
    # status line read "0 failed" (a broken response a browser cannot show)
    from core.texts import PROVISIONING_STATE_LABELS

    login(client, "admin@skyline.example")
    filters = [("/bss/outbox", s) for s in rules.STATUSES]
    filters += [("/bss/provisioning", s) for s in PROVISIONING_STATE_LABELS]
    for path, status in filters:
        response = client.get(f"{path}?status={status}")
        assert response.status == "200 OK", (path, status, response.status)
        chosen = soup(response).select('a[aria-current="page"]')
        assert [a["href"] for a in chosen] == [f"{path}?status={status}"], (path, status)


def test_an_operator_cannot_see_the_outbox(app, client, demo):
    login(client, "operator@skyline.example")
    assert client.get("/bss/outbox").status_code == 403


def test_the_scheduled_orders_run_as_a_periodic_task(app, session, demo):
    from datetime import date

    from core.models import Order
    from core.rules.statuses import OrderStatusType
    from tests.helpers_issue5 import park_demo_schedules, scheduled_order

    park_demo_schedules(session)
    order_id = scheduled_order(session, "Acme Ltd", date.today() - timedelta(days=1))
    due_every_minute = {t.name for t in tasks.huey.read_periodic(datetime.now(UTC))}
    assert {"run_scheduled_orders", "relay_outbox"} <= {
        n.rsplit(".", 1)[-1] for n in due_every_minute
    }
    tasks.run_scheduled_orders.call_local()
    session.expire_all()
    assert session.get(Order, order_id).status.type == OrderStatusType.AUTOMATIC_EXECUTE
    executed = session.scalar(select(Order.executed_at).where(Order.id == order_id))
    assert executed is not None


def test_work_written_with_a_moved_clock_is_due_now(app, session, demo):
    """``flask orders run-due --now <in three days>`` (the demo) must not hold messages back."""
    from core.services.notifications import notify

    with write_transaction(session):
        note_id = notify(
            session,
            demo_tenant_id(session),
            "scheduled_executed",
            "a@b.test",
            "Your scheduled order ran",
            "Body.",
            now=utcnow() + timedelta(days=3),
        )
        item_id = session.scalar(select(OutboxItem.id).where(OutboxItem.ref_id == note_id))
    assert item_id in outbox.relay(session)
    tasks.run_queued()
    assert item(session, item_id).status == rules.DONE


@pytest.mark.parametrize("kind", ["file", "redis", "memory"])
def test_many_items_reach_the_queue_in_one_write_a_job_each_in_their_order(
    kind, tmp_path, monkeypatch
):
    """A 500-item order's outbox items used to cost 500 writes of the queue's storage (500
    commits of the queue file, 500 Redis commands) inside the Execute request (issue 19): they
    are written in one go now, still one delivery job per item, dequeued in the order given."""
    import os
    import uuid

    name = f"cloudshop-test-{uuid.uuid4().hex[:8]}"
    if kind == "file":
        storage = tasks.QueueFileStorage(name, filename=str(tmp_path / "queue.sqlite3"))
    elif kind == "redis":
        url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        storage = tasks.QueueRedisStorage(name, url=url)
    else:
        storage = tasks.QueueMemoryStorage(name)

    def one_write_per_item(data, priority=None):
        raise AssertionError("an item was enqueued on its own")

    monkeypatch.setattr(tasks.huey, "storage", storage)
    if kind != "memory":
        monkeypatch.setattr(storage, "enqueue", one_write_per_item)
    try:
        tasks.enqueue_outbox_items([7, 8, 9])
        tasks.enqueue_outbox_items([])
        assert storage.queue_size() == 3
        jobs = [tasks.huey.dequeue() for _ in range(3)]
    finally:
        storage.flush_queue()
    assert [type(job) for job in jobs] == [tasks.deliver_outbox_item.task_class] * 3
    assert [job.args for job in jobs] == [(7,), (8,), (9,)]
