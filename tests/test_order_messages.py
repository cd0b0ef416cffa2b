"""Who gets what (issue 16, PRODUCT.md 11): operations on a new manual order; the customer when
an order is submitted, executed (with its invoice), partially delivered, canceled, when payment
fails, when a scheduled order runs; the reseller when an order awaits approval and the
customer when it is decided; the distributor on a back-order; and a tenant can turn a kind off.
Service level, both engines."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core import texts
from core.models import Notification, Order, Tenant
from core.rules import notifications as kinds
from core.services import checkout, execution, notifications, orders, reseller_approval
from core.services.payments import TEST_CARD_DECLINED
from tests.conftest import demo_manual_order
from tests.test_storefront_checkout import GOOD_CARD, add, user


def messages(session, order_id=None, tenant_id=None) -> list[tuple[str, str]]:
    session.expire_all()
    query = select(Notification.kind, Notification.recipient).order_by(Notification.id)
    if order_id is not None:
        query = query.where(Notification.order_id == order_id)
    if tenant_id is not None:
        query = query.where(Notification.tenant_id == tenant_id)
    return [tuple(row) for row in session.execute(query)]


def test_a_manual_order_tells_operations_and_the_customer(session, demo):
    alice = user(session, "alice@acme.example")
    add(session, alice, "MNG-FW", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id)
    (manual, operations), (submitted, customer) = messages(session, order.id)
    assert manual == kinds.MANUAL_ORDER and operations.startswith("operations@")
    assert (submitted, customer) == (kinds.ORDER_SUBMITTED, "billing@acme.example")


def test_operations_are_told_at_the_tenants_own_address_once_set(app, client, session, demo):
    from tests.conftest import login, soup

    login(client, "admin@skyline.example")
    page = soup(client.get("/bss/setup/notifications"))
    field = page.find("input", attrs={"name": "operations_email"})
    assert field is not None and field.get("value", "") == ""
    kinds_on = [b["value"] for b in page.find_all("input", attrs={"name": "kinds"})]
    refused = client.post(
        "/bss/setup/notifications",
        data={"kinds": kinds_on[1:], "operations_email": "not an address"},
    )
    assert refused.status_code == 422
    assert texts.OPERATIONS_EMAIL_INVALID in refused.get_data(as_text=True)
    assert all(
        notifications.settings(session, user(session, "alice@acme.example").tenant_id).values()
    )
    saved = client.post(
        "/bss/setup/notifications",
        data={"kinds": kinds_on, "operations_email": " Ops@Skyline.example "},
    )
    assert saved.status_code == 303
    shown = soup(client.get("/bss/setup/notifications"))
    assert shown.find("input", attrs={"name": "operations_email"})["value"] == "ops@skyline.example"
    session.expire_all()
    alice = user(session, "alice@acme.example")
    add(session, alice, "MNG-FW", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id)
    (manual, operations), _customer = messages(session, order.id)
    assert (manual, operations) == (kinds.MANUAL_ORDER, "ops@skyline.example")
    # another tenant keeps the deployment's address
    other = session.scalar(select(Tenant.id).where(Tenant.id != alice.tenant_id).limit(1))
    assert notifications.operations_email(session, other) == notifications.operations_default()


def test_an_executed_card_order_tells_the_customer_with_its_invoice(session, demo):
    alice = user(session, "alice@acme.example")
    add(session, alice, "AZ-BACKUP", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id, card=GOOD_CARD)
    note = session.scalar(
        select(Notification).where(
            Notification.order_id == order.id, Notification.kind == kinds.ORDER_EXECUTED
        )
    )
    assert note.recipient == "billing@acme.example"
    assert "Invoice SKY-" in note.body and order.number in note.subject  # the demo's prefix
    # the total as the pages and the invoice write it, not "50.68 EUR"
    assert re.search(r"Invoice SKY-\d{6}: €\d+\.\d\d\.", note.body), note.body
    assert " EUR" not in note.body and " EUR" not in note.html_body


def test_a_declined_card_tells_the_customer(session, demo):
    alice = user(session, "alice@acme.example")
    add(session, alice, "AZ-BACKUP", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    card = dict(GOOD_CARD, number=TEST_CARD_DECLINED)
    checkout.place(session, alice.tenant_id, alice, order.id, card=card)
    assert messages(session, order.id) == [(kinds.PAYMENT_FAILED, "billing@acme.example")]


def test_a_partial_then_full_execution_tells_the_customer_each_time_and_the_distributor(
    session, demo
):
    order = demo_manual_order(session)
    item = max(order.items, key=lambda i: i.quantity - i.executed_quantity)
    assert item.quantity - item.executed_quantity >= 2
    distributor = session.scalar(select(Tenant).where(Tenant.slug == "distributor"))
    told_before = len(messages(session, tenant_id=distributor.id))
    before = len(messages(session, order.id))
    execution.execute_order(session, order.tenant_id, order.id, {item.id: 1})
    execution.execute_order(session, order.tenant_id, order.id)
    sent = [kind for kind, _ in messages(session, order.id)[before:]]
    assert sent == [kinds.ORDER_PARTIALLY_DELIVERED, kinds.ORDER_EXECUTED]
    told = [kind for kind, _ in messages(session, tenant_id=distributor.id)[told_before:]]
    assert told == [kinds.BACKORDER_CREATED] * 2  # one back-order per execution


def test_a_canceled_order_tells_the_customer(session, demo):
    alice = user(session, "alice@acme.example")
    add(session, alice, "MNG-FW", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id)
    admin = user(session, "admin@skyline.example")
    orders.cancel_order(session, admin.tenant_id, order.id, admin)
    assert messages(session, order.id)[-1] == (kinds.ORDER_CANCELED, "billing@acme.example")


def test_the_reseller_is_asked_and_the_customer_told_the_decision(session, demo):
    dave = user(session, "dave@initech.example")
    add(session, dave, "M365-STD", 1)
    order = checkout.start_checkout(session, dave.tenant_id, dave)
    checkout.place(session, dave.tenant_id, dave, order.id, card=GOOD_CARD)
    asked = messages(session, order.id)
    assert [kind for kind, _ in asked] == [kinds.APPROVAL_REQUESTED]
    carol = user(session, "carol@bluesky.example")
    reseller_approval.reject(
        session, carol.tenant_id, carol.account_id, order.id, actor=carol, reason="No budget"
    )
    kind, recipient = messages(session, order.id)[-1]
    assert kind == kinds.APPROVAL_DECIDED and recipient != asked[0][1]


def test_a_scheduled_order_that_runs_tells_the_customer(session, demo):
    from core.db import utcnow
    from core.services import scheduling
    from tests.helpers_issue5 import park_demo_schedules, scheduled_order

    park_demo_schedules(session)
    order_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=1))
    scheduling.run_due(session, now=utcnow() + timedelta(days=2))
    assert session.get(Order, order_id).executed_at is not None
    assert [k for k, _ in messages(session, order_id)] == [kinds.SCHEDULED_EXECUTED]


def test_a_kind_the_tenant_turned_off_is_not_sent(session, demo):
    alice = user(session, "alice@acme.example")
    keep = set(kinds.CONFIGURABLE) - {kinds.ORDER_SUBMITTED}
    notifications.save_settings(session, alice.tenant_id, keep)
    add(session, alice, "MNG-FW", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id)
    assert [kind for kind, _ in messages(session, order.id)] == [kinds.MANUAL_ORDER]


def test_the_execution_message_names_what_happened():
    assert kinds.execution_kind(partial=True, fully=False, scheduled=False) == (
        kinds.ORDER_PARTIALLY_DELIVERED
    )
    assert kinds.execution_kind(partial=True, fully=True, scheduled=False) == kinds.ORDER_EXECUTED
    assert kinds.execution_kind(partial=False, fully=True, scheduled=True) == (
        kinds.SCHEDULED_EXECUTED
    )


def _note(session, order_id, kind) -> Notification:
    session.expire_all()
    return session.scalar(
        select(Notification)
        .where(Notification.order_id == order_id, Notification.kind == kind)
        .order_by(Notification.id.desc())
    )


def _manual_card_order_executed(session, run):
    """Alice (card) buys a manually delivered service; staff execute it (``run`` executes)."""
    from core.models import Invoice
    from core.services.dunning import notice_date

    alice = user(session, "alice@acme.example")
    add(session, alice, "MNG-FW", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id)
    run(order)
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.status == "open"  # nothing charged: the customer pays it
    return _note(session, order.id, kinds.ORDER_EXECUTED), invoice, notice_date(invoice.due_date)


def test_an_executed_manual_card_order_tells_when_its_invoice_is_due_and_links_to_pay_it(
    session, demo
):
    """Made outside a request (a worker, the CLI): the link goes to the tenant's own host on
    PUBLIC_URL's scheme and port."""
    note, invoice, due = _manual_card_order_executed(
        session, lambda order: execution.execute_order(session, order.tenant_id, order.id)
    )
    assert f"due {due}" in note.body, note.body
    link = f"http://localhost:5000/invoices/{invoice.id}"  # the demo reseller's host
    assert link in note.body, note.body
    assert f'href="{link}"' in note.html_body


def test_the_invoice_link_never_comes_from_the_request_host(app, client, session, demo):
    """Staff execute on a host the client wrote: the link still goes to the tenant's host."""
    from tests.conftest import login

    def run(order):
        login(client, "admin@skyline.example")
        response = client.post(f"/bss/orders/{order.id}/execute", headers={"Host": "evil.example"})
        assert response.status_code == 303

    note, invoice, _due = _manual_card_order_executed(session, run)
    assert "evil.example" not in note.body and "evil.example" not in note.html_body
    assert f"/invoices/{invoice.id}" in note.body


def test_a_declined_card_message_links_to_the_orders_pay_now(session, demo):
    alice = user(session, "alice@acme.example")
    add(session, alice, "AZ-BACKUP", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    card = dict(GOOD_CARD, number=TEST_CARD_DECLINED)
    checkout.place(session, alice.tenant_id, alice, order.id, card=card)
    note = _note(session, order.id, kinds.PAYMENT_FAILED)
    link = f"http://localhost:5000/orders/{order.id}#pay-now"
    assert link in note.body, note.body
    assert f'href="{link}"' in note.html_body
