"""Webhook events carry the API's representations (issue 18, point 6): for every event type, the
body a real receiver gets validates against the ``webhooks`` entry of the live OpenAPI document
(the envelope and, inside it, the API's own schema of the resource), and its ``data`` is what
``GET /api/v1/...`` answers for that resource. Both engines; the queue runs in this thread."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest
from sqlalchemy import select

from core.db import utcnow
from core.models import OfferStatus, Order, ProvisioningTask, Subscription, User
from core.rules import webhooks as rules
from core.rules.statuses import OfferStatusType
from core.services import webhooks
from tests.api_helpers import account_id, auth, make_key, product, tenant_id
from tests.conftest import demo_manual_order
from tests.test_webhooks import Receiver
from webapp import tasks


@pytest.fixture(autouse=True)
def _nothing_queued_but_ours(request):
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")
        tasks.huey.flush()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def _subscribe(session, receiver, slug: str = "reseller"):
    endpoint = webhooks.create_endpoint(session, tenant_id(session, slug), receiver.url, [])
    session.rollback()
    return endpoint


def _deliver_everything(session) -> None:
    for _ in range(3):  # provisioning, then its events; relay whatever was left behind
        tasks.run_queued()
        tasks.relay_outbox.call_local()
    tasks.run_queued()
    session.rollback()  # read what the worker committed (no snapshot of before)


def _events(receiver, endpoint, event_type: str) -> list[dict]:
    found = []
    for headers, body in receiver.received:
        assert rules.verify(endpoint.secret, headers, body, int(utcnow().timestamp()))
        event = json.loads(body)
        if event["type"] == event_type:
            found.append(event)
    assert found, (
        f"no {event_type} event among {[json.loads(b)['type'] for _, b in receiver.received]}"
    )
    return found


def _validate_against_the_document(client, event: dict) -> None:
    """The event against its ``webhooks`` entry of the live document ($refs resolved in it)."""
    document = client.get("/api/v1/openapi.json").get_json()
    entry = document["webhooks"][event["type"]]["post"]
    schema = entry["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})
    errors = [error.message for error in validator.iter_errors(event)]
    assert not errors, errors
    # and the schema is strict: a field the API does not document is refused
    assert not validator.is_valid({**event, "data": {**event["data"], "undocumented": 1}})


def _get(client, token, path) -> dict:
    response = client.get(path, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_document_has_one_webhook_per_event_type_with_its_resource_schema(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert set(document["webhooks"]) == set(rules.EVENT_TYPES)
    resources = {
        "order.status_changed": "Order",
        "offer.status_changed": "Offer",
        "subscription.provisioned": "SubscriptionWithProvisioning",
        "subscription.provisioning_failed": "SubscriptionWithProvisioning",
        "backorder.created": "Backorder",
    }
    schemas = document["components"]["schemas"]
    for event_type, resource in resources.items():
        ref = document["webhooks"][event_type]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"]["$ref"]
        envelope = schemas[ref.rsplit("/", 1)[-1]]
        assert set(envelope["required"]) == {"type", "timestamp", "data"}
        assert envelope["properties"]["type"]["enum"] == [event_type]
        assert envelope["properties"]["data"]["$ref"] == f"#/components/schemas/{resource}"
    page = client.get("/api/v1/reference").get_data(as_text=True)
    assert "Events (webhooks)" in page and "POST order.status_changed" in page


def test_an_order_status_event_is_the_order_as_the_api_answers_it(client, session, demo, receiver):
    endpoint = _subscribe(session, receiver)
    token = make_key(session, "admin@skyline.example")
    order = demo_manual_order(session)
    from core.services import setup

    admin = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    waiting = setup.add_order_status(
        session,
        order.tenant_id,
        admin,
        setup.StatusInput(90, "Waiting for the vendor", "in_progress", "viewable", "#334155", True),
    )
    in_progress = waiting.id
    changed = client.put(
        f"/api/v1/orders/{order.id}/status", json={"status_id": in_progress}, headers=auth(token)
    )
    assert changed.status_code == 200, changed.get_json()
    _deliver_everything(session)
    (event,) = _events(receiver, endpoint, "order.status_changed")
    _validate_against_the_document(client, event)
    assert event["data"] == _get(client, token, f"/api/v1/orders/{order.id}")
    assert event["data"]["status"]["id"] == in_progress


def test_an_offer_status_event_is_the_offer_as_the_api_answers_it(client, session, demo, receiver):
    endpoint = _subscribe(session, receiver)
    token = make_key(session, "admin@skyline.example")
    created = client.post(
        "/api/v1/offers", json={"account_id": account_id(session, "Acme Ltd")}, headers=auth(token)
    ).get_json()
    backup = product(session, "AZ-BACKUP")
    client.post(
        f"/api/v1/offers/{created['id']}/items",
        json={"plan_id": backup.plans[0].id, "quantity": 3},
        headers=auth(token),
    )
    accepted = session.scalar(
        select(OfferStatus.id).where(
            OfferStatus.tenant_id == tenant_id(session),
            OfferStatus.type == OfferStatusType.ACCEPTED,
        )
    )
    changed = client.patch(
        f"/api/v1/offers/{created['id']}", json={"status_id": accepted}, headers=auth(token)
    )
    assert changed.status_code == 200, changed.get_json()
    _deliver_everything(session)
    (event,) = _events(receiver, endpoint, "offer.status_changed")
    _validate_against_the_document(client, event)
    assert event["data"] == _get(client, token, f"/api/v1/offers/{created['id']}")
    assert len(event["data"]["items"]) == 1


def test_a_backorder_event_is_the_backorder_as_the_api_answers_it(client, session, demo, receiver):
    endpoint = _subscribe(session, receiver, slug="distributor")
    reseller_key = make_key(session, "admin@skyline.example")
    order = demo_manual_order(session)
    executed = client.post(
        f"/api/v1/orders/{order.id}/execute", json={}, headers=auth(reseller_key)
    )
    assert executed.status_code == 200, executed.get_json()
    _deliver_everything(session)
    (event,) = _events(receiver, endpoint, "backorder.created")
    _validate_against_the_document(client, event)
    distributor_key = make_key(session, "admin@nimbus.example")
    backorder = _get(client, distributor_key, f"/api/v1/backorders/{event['data']['id']}")
    assert event["data"] == backorder
    assert backorder["backorder"]["reseller"] == "Skyline Cloud"
    assert backorder["account"]["name"] == "Acme Ltd"
    assert session.get(Order, backorder["id"]).backorder_event_key


@pytest.mark.parametrize(
    ("quantity", "event_type", "status"),
    [(2, "subscription.provisioned", "active"), (13, "subscription.provisioning_failed", "failed")],
)
def test_a_provisioning_event_is_the_subscription_as_the_api_answers_it(
    client, session, demo, receiver, quantity, event_type, status
):
    """The sandbox vendor provisions 2 licences and refuses 13 (README, issue 16)."""
    endpoint = _subscribe(session, receiver)
    token = make_key(session, "admin@skyline.example")
    backup = product(session, "AZ-BACKUP")
    order = client.post(
        "/api/v1/orders", json={"account_id": account_id(session, "Acme Ltd")}, headers=auth(token)
    ).get_json()
    client.post(
        f"/api/v1/orders/{order['id']}/items",
        json={"product_id": backup.id, "plan_id": backup.plans[0].id, "quantity": quantity},
        headers=auth(token),
    )
    executed = client.post(f"/api/v1/orders/{order['id']}/execute", json={}, headers=auth(token))
    assert executed.status_code == 200, executed.get_json()
    _deliver_everything(session)
    # (the relay also delivers the demo's own provisioning: ours is the one of this order)
    events = _events(receiver, endpoint, event_type)
    (event,) = [e for e in events if e["data"]["order_id"] == order["id"]]
    _validate_against_the_document(client, event)
    subscription_id = event["data"]["id"]
    assert event["data"] == _get(client, token, f"/api/v1/subscriptions/{subscription_id}")
    assert event["data"]["provisioning"]["status"] == status
    task = session.scalar(
        select(ProvisioningTask).where(ProvisioningTask.subscription_id == subscription_id)
    )
    assert task.order_id == order["id"]
    assert session.get(Subscription, subscription_id).account_id == order["account"]["id"]
    if status == "failed":
        assert event["data"]["provisioning"]["reason"]
