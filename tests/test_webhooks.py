"""Webhooks (issue 16): per-tenant endpoints receive signed events (Standard Webhooks) over real
HTTP (a receiver in this process), retried with back-off, logged per endpoint, disabled after
repeated failures with a notice to the admins. Both engines."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from core.models import Notification, OutboxItem, WebhookDelivery, WebhookEndpoint
from core.rules import webhooks as rules
from core.services import execution, webhooks
from tests.conftest import demo_manual_order, login, text_of
from tests.queue_helpers import demo_tenant_id
from webapp import tasks


@pytest.fixture(autouse=True)
def _nothing_queued_but_ours(request):
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")
        tasks.huey.flush()


class Receiver:
    """A real HTTP server on a free local port that records what it receives."""

    def __init__(self):
        self.received: list[tuple[dict, str]] = []
        self.answer = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append((headers, body))
                self.send_response(receiver.answer)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _endpoint(session, url, events=()):
    endpoint = webhooks.create_endpoint(session, demo_tenant_id(session), url, list(events))
    session.rollback()
    return endpoint


def _execute_demo_order(session):
    order = demo_manual_order(session)
    execution.execute_order(session, order.tenant_id, order.id)
    return order


def test_the_signature_matches_the_specifications_example():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    assert rules.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_an_order_event_reaches_a_real_receiver_signed_once(app, session, demo):
    with Receiver() as receiver:
        endpoint = _endpoint(session, receiver.url, ["order.status_changed"])
        order = _execute_demo_order(session)
        tasks.run_queued()
        tasks.relay_outbox.call_local()
        tasks.run_queued()
    assert receiver.received, "nothing was delivered"
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(ids) == len(set(ids))  # each event once
    for headers, body in receiver.received:
        assert rules.verify(endpoint.secret, headers, body, int(utcnow().timestamp()))
        event = json.loads(body)
        assert event["type"] == "order.status_changed"  # only what it subscribed to
    assert any(json.loads(b)["data"]["number"] == order.number for _, b in receiver.received)
    delivered = session.scalars(
        select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == endpoint.id)
    ).all()
    assert delivered and set(delivered) == {webhooks.DELIVERED}


def test_a_failing_receiver_is_retried_with_back_off_then_delivered(app, session, demo):
    from core.services import outbox

    with Receiver() as receiver:
        receiver.answer = 503
        endpoint = _endpoint(session, receiver.url, ["backorder.created"])
        _execute_demo_order(session)  # order events: this endpoint did not subscribe to them
        unsubscribed = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        ).all()
        assert unsubscribed == []
        from core.db import write_transaction

        with write_transaction(session):
            webhooks.emit(session, endpoint.tenant_id, "backorder.created", {"number": "SO1"})
        session.rollback()
        tasks.run_queued()
        delivery = session.scalar(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        )
        item = session.scalar(
            select(OutboxItem).where(OutboxItem.kind == "webhook", OutboxItem.ref_id == delivery.id)
        )
        session.rollback()
        assert delivery.status == webhooks.RETRYING and delivery.response_code == 503
        assert item.status == "pending" and item.next_attempt_at > utcnow()
        receiver.answer = 200
        outcome = outbox.process(
            session, item.id, tasks._handlers(), "w2", now=item.next_attempt_at
        )
    assert outcome.status == "done"
    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery.id)
    assert delivery.status == webhooks.DELIVERED and delivery.attempts == 2
    assert len(receiver.received) == 2
    assert receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]


def test_an_endpoint_failing_again_and_again_is_disabled_and_the_admins_told(
    app, session, demo, monkeypatch
):
    from core.db import write_transaction

    monkeypatch.setattr(rules, "DISABLE_AFTER", 3)
    with Receiver() as receiver:
        receiver.answer = 500
        endpoint = _endpoint(session, receiver.url)
        with write_transaction(session):
            for n in range(3):
                webhooks.emit(session, endpoint.tenant_id, "offer.status_changed", {"n": n})
        session.rollback()
        tasks.run_queued()
        assert len(receiver.received) == 3
        with write_transaction(session):
            webhooks.emit(session, endpoint.tenant_id, "offer.status_changed", {"n": 4})
        session.rollback()
        tasks.run_queued()
        assert len(receiver.received) == 3  # disabled: nothing more is sent
    session.expire_all()
    endpoint = session.get(WebhookEndpoint, endpoint.id)
    assert not endpoint.enabled and "3 failed deliveries" in endpoint.disabled_reason
    notices = session.scalars(
        select(Notification.recipient).where(Notification.kind == "webhook_disabled")
    ).all()
    assert "admin@skyline.example" in notices


def test_admins_add_an_endpoint_and_read_its_delivery_log(app, client, session, demo):
    login(client, "admin@skyline.example")
    refused = client.post("/bss/setup/webhooks", data={"url": "ftp://x", "events": []})
    assert refused.status_code == 422 and texts_url_invalid() in text_of(refused)
    assert session.scalar(select(WebhookEndpoint.id)) is None
    added = client.post(
        "/bss/setup/webhooks",
        data={"url": "http://127.0.0.1:9/hooks", "events": ["order.status_changed"]},
    )
    assert added.status_code == 303
    page = text_of(client.get(added.headers["Location"]))
    endpoint = session.scalar(select(WebhookEndpoint))
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in page
    client.post(f"/bss/setup/webhooks/{endpoint.id}/disable")
    session.expire_all()
    assert session.get(WebhookEndpoint, endpoint.id).enabled is False
    assert "Disabled" in text_of(client.get(f"/bss/setup/webhooks/{endpoint.id}"))


def test_another_tenants_endpoint_is_not_found(app, client, session, demo):
    endpoint = _endpoint(session, "http://127.0.0.1:9/hooks")
    login(client, "admin@nimbus.example")
    assert client.get(f"/bss/setup/webhooks/{endpoint.id}").status_code == 404
    assert client.post(f"/bss/setup/webhooks/{endpoint.id}/disable").status_code == 404


def texts_url_invalid():
    from core import texts

    return texts.WEBHOOK_URL_INVALID


@pytest.mark.parametrize(
    ("events", "event", "expected"),
    [("", "order.status_changed", True), ("offer.status_changed", "order.status_changed", False)],
)
def test_an_endpoint_gets_only_what_it_subscribed_to(events, event, expected):
    assert rules.subscribed(events, event) is expected


def test_the_endpoints_are_read_once_per_transaction_and_a_change_shows_at_once(
    app, session, demo, count_queries
):
    """Issue 19: an automatic placement changes the order's status twice in one transaction;
    the tenant's endpoints are read at the first event only. An endpoint added or turned
    off in the same transaction counts for the next event; one added by another transaction
    counts from the next transaction on."""
    from core.db import write_transaction

    tenant_id = demo_tenant_id(session)
    session.rollback()

    def deliveries() -> int:
        return len(session.scalars(select(WebhookDelivery.id)).all())

    with write_transaction(session):
        with count_queries() as q:
            assert webhooks.emit(session, tenant_id, "order.status_changed", {"n": 1}) == 0
            assert webhooks.emit(session, tenant_id, "order.status_changed", {"n": 2}) == 0
        assert q.count == 1  # read once
        endpoint = WebhookEndpoint(
            tenant_id=tenant_id,
            url="http://127.0.0.1:9/hooks",
            secret=rules.new_secret(),
            events="order.status_changed",
            enabled=True,
            consecutive_failures=0,
            created_at=utcnow(),
        )
        session.add(endpoint)  # pending: the next event sees it
        assert webhooks.emit(session, tenant_id, "order.status_changed", {"n": 3}) == 1
        endpoint.enabled = False  # changed, not flushed yet
        assert webhooks.emit(session, tenant_id, "order.status_changed", {"n": 4}) == 0
        endpoint.enabled = True
        session.flush()
        assert webhooks.emit(session, tenant_id, "order.status_changed", {"n": 5}) == 1
    assert deliveries() == 2
    session.rollback()
    with write_transaction(session):  # a new transaction reads them again
        assert webhooks.emit(session, tenant_id, "order.status_changed", {"n": 6}) == 1
    session.rollback()
    # another session turns it off: the next transaction of this one sees it
    from sqlalchemy.orm import Session as PlainSession

    with PlainSession(session.get_bind()) as other, other.begin():
        other.get(WebhookEndpoint, endpoint.id).enabled = False
    with write_transaction(session):
        assert webhooks.emit(session, tenant_id, "order.status_changed", {"n": 7}) == 0
    assert deliveries() == 3


def test_a_use_case_of_two_transactions_reads_the_endpoints_once(app, session, demo, count_queries):
    """A card placement (claim, charge, finalize) is one use case of two transactions: inside
    ``endpoints_read_once`` the second uses the first's read; after it, they are read again."""
    from core.db import write_transaction

    tenant_id = demo_tenant_id(session)
    session.rollback()
    with count_queries() as q, webhooks.endpoints_read_once(session):
        for n in range(2):
            with write_transaction(session):
                webhooks.emit(session, tenant_id, "order.status_changed", {"n": n})
    assert len([s for s in q.statements if "webhook_endpoint" in s]) == 1
    with count_queries() as q:
        with write_transaction(session):
            webhooks.emit(session, tenant_id, "order.status_changed", {"n": 3})
    assert len([s for s in q.statements if "webhook_endpoint" in s]) == 1


@pytest.fixture
def outside_only():
    """Production's rule: no webhook to the provider's own network (development allows it)."""
    webhooks.configure(allow_inside=False)
    yield
    webhooks.configure(allow_inside=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "https://api.localhost/x",
        "http://10.0.0.5/x",
        "http://192.168.1.10:8080/x",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
    ],
)
def test_outside_development_an_endpoint_inside_the_network_is_refused(
    app, session, demo, outside_only, url
):
    with pytest.raises(webhooks.ValidationFailed) as refused:
        webhooks.create_endpoint(session, demo_tenant_id(session), url, [])
    assert refused.value.errors == {"url": [webhooks.texts.WEBHOOK_URL_INSIDE]}


def test_a_name_that_resolves_inside_is_not_delivered_to(app, session, outside_only, monkeypatch):
    import socket

    endpoint = "https://hooks.example.com/in"
    # a name is accepted when saved: what it resolves to is checked at each delivery
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.1.2.3", 443))])
    with pytest.raises(OSError, match="inside the network"):
        webhooks.http_post(endpoint, {}, "{}")


def test_a_receiver_answering_with_a_redirect_is_not_followed(app):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    followed = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.end_headers()

        def do_GET(self):  # noqa: N802
            followed.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        assert webhooks.http_post(url, {}, "{}") == 302  # a failed delivery, retried
    finally:
        server.shutdown()
        server.server_close()
    assert followed == []


def test_the_same_address_twice_is_refused_and_the_outgoing_list_names_event_and_address(
    app, client, session, demo
):
    """A tester added one receiver twice (every event delivered twice) and read "webhook #7"
    in Outgoing work, with an intro saying webhooks would come "later"."""
    from core.services import outbox

    login(client, "admin@skyline.example")
    data = {"url": "http://127.0.0.1:9/hooks", "events": ["order.status_changed"]}
    assert client.post("/bss/setup/webhooks", data=data).status_code == 303
    again = client.post("/bss/setup/webhooks", data={**data, "url": " http://127.0.0.1:9/hooks "})
    assert again.status_code == 422
    assert webhooks.texts.WEBHOOK_URL_TAKEN in text_of(again)
    assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 1
    _execute_demo_order(session)
    rows = [r for r in outbox.list_items(session, demo_tenant_id(session)) if r.kind == "webhook"]
    assert rows and all(
        "order.status_changed" in r.summary and "http://127.0.0.1:9/hooks" in r.summary
        for r in rows
    ), [r.summary for r in rows]
    intro = text_of(client.get("/bss/outbox"))
    assert "later" not in intro.split("Outgoing work", 2)[-1][:300]
