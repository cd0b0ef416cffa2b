"""Provisioning through connectors (issue 16): executing an order queues one provisioning job
per subscription change, exactly once; the sandbox vendor succeeds, refuses, times out or
answers later through a signed callback; the manual connector waits for a BSS user; the
customer and the BSS see Provisioning → Active or Failed with the reason; a BSS user retries;
every attempt is in the history. Both engines; the queue runs in this thread."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.connectors import (
    DONE,
    Answer,
    Connector,
    ProvisioningRequest,
    hookimpl,
    load_registry,
)
from core.connectors.sandbox import SIGNATURE_HEADER, sign
from core.models import OutboxItem, ProvisioningAttempt, ProvisioningTask
from core.rules import provisioning as rules
from core.services import checkout, execution, provisioning
from tests.conftest import demo_manual_order, login, soup, text_of
from tests.test_storefront_checkout import GOOD_CARD, add, user
from webapp import tasks


def buy_backup(session, quantity: int, email="alice@acme.example"):
    """Alice buys Azure Backup (a Cloud Services product: the sandbox vendor) by card."""
    buyer = user(session, email)
    add(session, buyer, "AZ-BACKUP", quantity)
    order = checkout.start_checkout(session, buyer.tenant_id, buyer)
    checkout.place(session, buyer.tenant_id, buyer, order.id, card=GOOD_CARD)
    session.rollback()
    return order.id


def task_of(session, order_id) -> ProvisioningTask:
    session.expire_all()
    task = session.scalar(select(ProvisioningTask).where(ProvisioningTask.order_id == order_id))
    session.expunge(task)  # its values stay readable without a transaction (and snapshot)
    session.rollback()
    return task


def attempts(session, task_id) -> list[str]:
    rows = session.scalars(
        select(ProvisioningAttempt.outcome)
        .where(ProvisioningAttempt.task_id == task_id)
        .order_by(ProvisioningAttempt.id)
    ).all()
    session.rollback()
    return list(rows)


def test_an_executed_automatic_order_ends_active_through_the_sandbox_vendor(
    app, client, session, demo
):
    order_id = buy_backup(session, 2)
    task = task_of(session, order_id)
    assert task.connector == rules.SANDBOX and task.status == rules.STARTED
    tasks.run_queued()
    task = task_of(session, order_id)
    assert task.status == rules.ACTIVE and task.external_ref == f"SBX-{task.id:06d}"
    assert attempts(session, task.id) == [DONE]
    login(client, "alice@acme.example")
    card = soup(client.get("/subscriptions")).find(id=f"sub-{task.subscription_id}").parent
    assert "Provisioning Active" in " ".join(card.get_text(" ").split())


def test_one_provisioning_job_per_subscription_change_exactly_once(app, session, demo):
    order_id = buy_backup(session, 2)
    task = task_of(session, order_id)
    # queuing the order's tasks again (a retried execution) adds nothing
    from core.db import write_transaction

    with write_transaction(session):
        again = provisioning.queue_tasks(session, task.tenant_id, order_id, task.created_at)
    assert again == 0
    jobs = session.scalar(
        select(func.count())
        .select_from(OutboxItem)
        .where(OutboxItem.kind == provisioning.KIND, OutboxItem.ref_id == task.id)
    )
    session.rollback()
    assert jobs == 1
    assert tasks.run_queued() >= 1
    tasks.relay_outbox.call_local()
    tasks.run_queued()
    assert attempts(session, task.id) == [DONE]  # the vendor was called once


def test_a_refused_request_fails_with_the_reason_and_a_bss_user_retries_it(
    app, client, session, demo
):
    order_id = buy_backup(session, 13)
    tasks.run_queued()
    task = task_of(session, order_id)
    assert task.status == rules.FAILED and "quantity 13" in task.reason
    login(client, "operator@skyline.example")
    page = text_of(client.get("/bss/provisioning?status=failed"))
    assert "quantity 13 is not available" in page and "Retry" in page
    detail = text_of(client.get(f"/bss/subscriptions/{task.subscription_id}"))
    assert "Provisioning Failed: quantity 13 is not available from the vendor" in detail
    assert client.post(f"/bss/provisioning/{task.id}/retry").status_code == 303
    assert task_of(session, order_id).status == rules.STARTED
    tasks.run_queued()
    assert attempts(session, task.id) == ["refused", "retry", "refused"]
    assert task_of(session, order_id).status == rules.FAILED


def test_a_vendor_that_times_out_is_retried_then_fails(app, session, demo):
    from core.services import outbox

    order_id = buy_backup(session, 99)
    tasks.run_queued()
    task = task_of(session, order_id)
    assert task.status == rules.STARTED and "TimeoutError" in task.reason
    item = session.scalar(
        select(OutboxItem).where(OutboxItem.kind == "provisioning", OutboxItem.ref_id == task.id)
    )
    session.rollback()
    while True:
        item = session.get(OutboxItem, item.id)
        session.refresh(item)
        session.rollback()
        if item.status != "pending":
            break
        outbox.process(session, item.id, tasks._handlers(), "w", now=item.next_attempt_at)
    assert item.status == "failed"
    task = task_of(session, order_id)
    assert task.status == rules.FAILED and "TimeoutError" in task.reason
    assert attempts(session, task.id) == ["error"] * item.max_attempts


def test_a_vendor_answering_later_calls_back_with_a_signed_answer(app, client, session, demo):
    order_id = buy_backup(session, 7)
    tasks.run_queued()
    task = task_of(session, order_id)
    assert task.status == rules.WAITING
    scheduled = tasks.huey.scheduled()
    assert len(scheduled) == 1  # the vendor's answer, a few seconds later
    url, body, signature = scheduled[0].args
    assert url.endswith(f"/provisioning/callback/{task.id}")
    path = f"/provisioning/callback/{task.id}"
    forged = client.post(path, data=body, headers={SIGNATURE_HEADER: "sha256=00"})
    assert forged.status_code == 400 and task_of(session, order_id).status == rules.WAITING
    answered = client.post(path, data=body, headers={SIGNATURE_HEADER: signature})
    assert answered.status_code == 204
    assert task_of(session, order_id).status == rules.ACTIVE
    again = client.post(path, data=body, headers={SIGNATURE_HEADER: signature})
    assert again.status_code == 204
    assert attempts(session, task.id) == ["later", "callback"]


def test_a_callback_for_another_task_is_refused(app, client, session, demo):
    order_id = buy_backup(session, 7)
    tasks.run_queued()
    task = task_of(session, order_id)
    secret = tasks.sandbox_secret(app)
    body = json.dumps({"task_id": task.id + 1000, "status": "active"}).encode()
    response = client.post(
        f"/provisioning/callback/{task.id}",
        data=body,
        headers={SIGNATURE_HEADER: sign(secret, body)},
    )
    assert response.status_code == 400
    assert task_of(session, order_id).status == rules.WAITING


def test_a_manual_delivery_waits_until_a_bss_user_confirms_it(app, client, session, demo):
    order = demo_manual_order(session)
    execution.execute_order(session, order.tenant_id, order.id)
    tasks.run_queued()
    task = session.scalar(
        select(ProvisioningTask)
        .where(ProvisioningTask.order_id == order.id, ProvisioningTask.connector == "manual")
        .order_by(ProvisioningTask.id)
    )
    session.rollback()
    assert task.status == rules.WAITING
    login(client, "operator@skyline.example")
    assert "Confirm delivered" in text_of(client.get("/bss/provisioning"))
    assert client.post(f"/bss/provisioning/{task.id}/confirm").status_code == 303
    session.expire_all()
    assert session.get(ProvisioningTask, task.id).status == rules.ACTIVE
    assert attempts(session, task.id)[-1] == "confirmed"


def test_another_tenant_cannot_retry_or_confirm(app, client, session, demo):
    order_id = buy_backup(session, 13)
    tasks.run_queued()
    task = task_of(session, order_id)
    login(client, "admin@nimbus.example")
    assert client.post(f"/bss/provisioning/{task.id}/retry").status_code == 404
    assert task_of(session, order_id).status == rules.FAILED


class _Acme(Connector):
    name = "acme"

    def perform(self, request: ProvisioningRequest) -> Answer:
        return Answer(DONE, external_ref=f"ACME-{request.operation}")


class _AcmePlugin:
    @hookimpl
    def cloudshop_connectors(self, settings):
        return [_Acme()]


def test_connectors_are_plugins_found_through_the_hook():
    registry = load_registry(plugins=(_AcmePlugin(),))
    assert {"manual", "sandbox", "acme"} <= set(registry.names)
    request = ProvisioningRequest(1, 1, "upgrade", "X", 1, None, None)
    assert registry.get("acme").call(request).external_ref == "ACME-upgrade"
    with pytest.raises(LookupError):
        registry.get("nobody")


@pytest.mark.parametrize(
    ("action", "operation"),
    [
        ("new", "create"),
        ("deliver", "create"),
        ("licenses", "change_quantity"),
        ("addon_new", "add_addon"),
        ("addon_quantity", "change_addon"),
        ("upgrade", "upgrade"),
        ("to_paid", "upgrade"),
        ("suspend", "suspend"),
    ],
)
def test_each_change_maps_to_a_connector_operation(action, operation):
    assert rules.operation_for(action) == operation
