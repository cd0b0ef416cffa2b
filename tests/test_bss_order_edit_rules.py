"""The BSS order Edit page's rules, found by a tester: a Scheduled or reseller-approval order's
status is changed by hand only to cancel it, and execution waits for the open Scheduled hold
whatever the status; a Cancelled status cancels exactly as Cancel order does (it asks first,
the customer is told); a payment method the account is not allowed is refused; a cancelled
order's refusals say it is cancelled. The API's order endpoints share the services: same
answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import texts
from core.db import utcnow, write_transaction
from core.models import Notification, Order, OrderItem, OrderStatus
from core.rules import notifications as kinds
from core.rules.statuses import OrderStatusType, StatusKey
from core.services import orders
from core.services.errors import ValidationFailed
from core.services.statuses import StatusBook, set_order_status
from tests.api_helpers import auth, make_key
from tests.conftest import login, soup, text_of
from tests.helpers_issue5 import pending_approval_order, scheduled_order, tenant, user
from tests.test_bss_support import manual_order

HTMX = {"HX-Request": "true"}


def _order(session, order_id) -> Order:
    session.expire_all()
    return session.get(Order, order_id)


def _book(session) -> StatusBook:
    return StatusBook.load(session, tenant(session).id)


def _options(response) -> set[str]:
    return {o.get_text(strip=True) for o in soup(response).select("select[name=status_id] option")}


def _add_denial(session) -> OrderStatus:
    """An admin's custom Cancelled status (Setup › Order Status), as in the README."""
    with write_transaction(session):
        status = OrderStatus(
            tenant_id=tenant(session).id,
            number=20,
            description="Canceled - Denial",
            type=OrderStatusType.CANCELLED,
            storefront_type="viewable",
            color="#7f1d1d",
            active=True,
        )
        session.add(status)
    return status


def _told(session, order_id) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification.kind)
            .where(Notification.order_id == order_id)
            .order_by(Notification.id)
        )
    )


# --- 1. a Scheduled order ---------------------------------------------------------------


def test_a_scheduled_orders_edit_offers_only_cancelling_and_refuses_submitted(
    client, demo, session
):
    order_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=3))
    submitted = _book(session).submitted()
    login(client, "operator@skyline.example", bss=True)
    edit = client.get(f"/bss/orders/{order_id}/edit")
    assert _options(edit) == {"Scheduled", "Canceled"}
    assert texts.ORDER_SCHEDULED in " ".join(text_of(edit).split())
    refused = client.post(f"/bss/orders/{order_id}/edit", data={"status_id": str(submitted.id)})
    assert refused.status_code == 409
    assert texts.ORDER_SCHEDULED in text_of(refused)
    assert _order(session, order_id).status.type == OrderStatusType.SCHEDULED
    # the API's status endpoint shares the rule
    token = make_key(session, "operator@skyline.example")
    answer = client.put(
        f"/api/v1/orders/{order_id}/status",
        json={"status_id": submitted.id},
        headers=auth(token),
    )
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["detail"] == texts.ORDER_SCHEDULED
    assert _order(session, order_id).status.type == OrderStatusType.SCHEDULED


def test_an_open_scheduled_hold_refuses_execution_whatever_the_status(client, demo, session):
    """The state the tester left: Submitted by Edit, the Scheduled hold still open."""
    order_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=3))
    with write_transaction(session):
        order = session.get(Order, order_id)
        set_order_status(session, order, _book(session).submitted(), actor_name="test")
    login(client, "operator@skyline.example", bss=True)
    confirm = client.get(f"/bss/orders/{order_id}/execute/confirm")
    assert confirm.status_code == 409
    assert texts.ORDER_SCHEDULED in text_of(confirm)
    refused = client.post(f"/bss/orders/{order_id}/execute")
    assert refused.status_code == 409
    token = make_key(session, "operator@skyline.example")
    answer = client.post(f"/api/v1/orders/{order_id}/execute", json={}, headers=auth(token))
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["detail"] == texts.ORDER_SCHEDULED
    order = _order(session, order_id)
    assert all(item.executed_quantity == 0 for item in order.items)
    assert any(h.reason == "scheduled" and h.released_at is None for h in order.holds)


# --- 2. an order waiting for the reseller's approval -------------------------------------


def test_an_order_waiting_for_the_reseller_keeps_its_status_in_edit(client, demo, session):
    order_id = pending_approval_order(session)
    submitted = _book(session).submitted()
    login(client, "operator@skyline.example", bss=True)
    edit = client.get(f"/bss/orders/{order_id}/edit")
    assert _options(edit) == {"Pending Reseller Approval", "Canceled"}
    refused = client.post(f"/bss/orders/{order_id}/edit", data={"status_id": str(submitted.id)})
    assert refused.status_code == 409
    assert texts.ORDER_AWAITING_APPROVAL_STATUS in text_of(refused)
    token = make_key(session, "operator@skyline.example")
    answer = client.put(
        f"/api/v1/orders/{order_id}/status",
        json={"status_id": submitted.id},
        headers=auth(token),
    )
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["detail"] == texts.ORDER_AWAITING_APPROVAL_STATUS
    order = _order(session, order_id)
    assert order.status.mandatory_key == StatusKey.PENDING_RESELLER_APPROVAL
    # the reseller still sees it to approve
    login(client, "carol@bluesky.example", bss=False)
    assert order.number in text_of(client.get("/reseller/approvals"))


# --- 3. a Cancelled status in Edit cancels as Cancel order does --------------------------


def test_a_cancelled_status_in_edit_asks_first_then_cancels_and_tells_the_customer(
    client, demo, session
):
    denial = _add_denial(session)
    order = manual_order(session)
    before = order.status_id
    told = len(_told(session, order.id))
    login(client, "operator@skyline.example", bss=True)
    edit_url = f"/bss/orders/{order.id}/edit"
    edit = soup(client.get(edit_url))
    assert edit.find(id="confirm-slot") is not None
    posted = {"status_id": str(denial.id), "name": "Denied hosts"}
    asked = client.post(edit_url, data=posted)
    assert asked.status_code == 200
    page = soup(asked)
    assert page.find("h1").get_text() == texts.CONFIRM_CANCEL_ORDER_TITLE.format(
        number=order.number
    )
    form = page.find("form", action=edit_url, method="post")
    hidden = {i["name"]: i["value"] for i in form.find_all("input", type="hidden")}
    assert hidden["status_id"] == str(denial.id) and hidden["name"] == "Denied hosts"
    assert hidden["confirmed"] == "1"
    assert page.find("a", href=edit_url)  # "No" goes back to the form
    assert "Canceled - Denial" in page.get_text()
    assert _order(session, order.id).status_id == before  # asking changed nothing
    assert _order(session, order.id).name != "Denied hosts"
    # with htmx: the dialog, in the page's confirmation slot (not in place of the form)
    dialog = client.post(edit_url, data=posted, headers=HTMX)
    assert dialog.headers["HX-Retarget"] == "#confirm-slot"
    assert soup(dialog).find("dialog").has_attr("data-autoshow")
    assert _order(session, order.id).status_id == before
    done = client.post(edit_url, data=hidden)
    assert done.status_code == 303
    order = _order(session, order.id)
    assert order.status_id == denial.id and order.name == "Denied hosts"
    assert all(h.released_at is not None for h in order.holds)
    assert _told(session, order.id)[told:] == [kinds.ORDER_CANCELED]  # as Cancel order


def test_cancelling_through_the_api_status_tells_the_customer(client, demo, session):
    order = manual_order(session)
    canceled = _book(session).canceled()
    token = make_key(session, "operator@skyline.example")
    answer = client.put(
        f"/api/v1/orders/{order.id}/status",
        json={"status_id": canceled.id},
        headers=auth(token),
    )
    assert answer.status_code == 200, answer.get_json()
    assert _told(session, order.id)[-1] == kinds.ORDER_CANCELED


def test_a_scheduled_or_waiting_order_is_cancelled_through_edit(client, demo, session):
    scheduled_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=3))
    waiting_id = pending_approval_order(session)
    canceled = _book(session).canceled()
    login(client, "operator@skyline.example", bss=True)
    for order_id in (scheduled_id, waiting_id):
        done = client.post(
            f"/bss/orders/{order_id}/edit",
            data={"status_id": str(canceled.id), "confirmed": "1"},
        )
        assert done.status_code == 303, text_of(done)
        order = _order(session, order_id)
        assert order.status_id == canceled.id
        assert all(h.released_at is not None for h in order.holds)
        assert _told(session, order_id)[-1] == kinds.ORDER_CANCELED


# --- 4. a payment method the account is not allowed ----------------------------------------


def test_a_card_only_customers_order_is_not_put_on_account(client, demo, session):
    order = manual_order(session)  # Acme: card only
    assert order.payment_method == "card"
    login(client, "operator@skyline.example", bss=True)
    edit = client.get(f"/bss/orders/{order.id}/edit")
    methods = [o["value"] for o in soup(edit).select("select[name=payment_method] option")]
    assert methods == ["card"]  # only what the account allows is offered
    refused = client.post(
        f"/bss/orders/{order.id}/edit",
        data={"payment_method": "on_account", "name": "On credit"},
    )
    assert refused.status_code == 422
    field = soup(refused).find(id="payment_method").find_parent(class_="field")
    assert texts.ORDER_PAYMENT_METHOD_NOT_ALLOWED in field.get_text()
    order = _order(session, order.id)
    assert order.payment_method == "card" and order.name != "On credit"  # nothing changed
    operator = user(session, "operator@skyline.example")
    try:
        orders.edit_order(
            session, order.tenant_id, order.id, operator, {"payment_method": "on_account"}
        )
    except ValidationFailed as error:
        assert error.errors == {"payment_method": [texts.ORDER_PAYMENT_METHOD_NOT_ALLOWED]}
    else:
        raise AssertionError("the service let a card-only account's order go on account")


# --- 5. a cancelled order's refusals -----------------------------------------------------


def test_a_cancelled_orders_refusals_say_it_is_cancelled(client, demo, session):
    order = manual_order(session)
    login(client, "operator@skyline.example", bss=True)
    assert client.post(f"/bss/orders/{order.id}/cancel").status_code == 303
    again = client.post(f"/bss/orders/{order.id}/cancel")  # a stale page
    assert again.status_code == 409
    assert texts.ORDER_CANCELLED in text_of(again)
    assert texts.ORDER_LOCKED not in text_of(again)
    plan_item = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).first()
    added = client.post(
        f"/bss/orders/{order.id}/items",
        data={"product_plan": f"{plan_item.product_id}-{plan_item.plan_id}", "quantity": "1"},
    )
    assert added.status_code == 409 and texts.ORDER_CANCELLED in text_of(added)
    submitted = _book(session).submitted()
    edited = client.post(f"/bss/orders/{order.id}/edit", data={"status_id": str(submitted.id)})
    assert edited.status_code == 409 and texts.ORDER_CANCELLED in text_of(edited)
    token = make_key(session, "operator@skyline.example")
    answer = client.post(f"/api/v1/orders/{order.id}/cancel", headers=auth(token))
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["detail"] == texts.ORDER_CANCELLED
    assert answer.get_json()["type"].endswith("problem-order-locked")  # as before
