"""The customer's scheduled order on the Storefront: the date, reschedule, cancel; and
Scheduled/Executing can never be set by a user through a form."""

from datetime import timedelta

from sqlalchemy import func, select

from core import texts
from core.db import utcnow
from core.models import Order, OrderStatus
from core.rules.statuses import OrderStatusType
from tests.conftest import login, soup, text_of
from tests.helpers_issue5 import account, scheduled_order


def _order(session, order_id) -> Order:
    session.expire_all()
    return session.get(Order, order_id)


def test_the_customer_sees_the_date_and_reschedules_without_javascript(client, demo, session):
    today = utcnow().date()
    order_id = scheduled_order(session, "Acme Ltd", today + timedelta(days=1))
    login(client, "alice@acme.example", bss=False)
    page = client.get(f"/orders/{order_id}/schedule")
    assert page.status_code == 200
    date_input = soup(page).find("input", {"name": "scheduled_for"})
    assert date_input["min"] == (today + timedelta(days=1)).isoformat()
    assert date_input["max"] == (today + timedelta(days=60)).isoformat()
    assert soup(page).find("label", {"for": date_input["id"]}) is not None

    new_day = today + timedelta(days=5)
    response = client.post(
        f"/orders/{order_id}/reschedule", data={"scheduled_for": new_day.isoformat()}
    )
    assert response.status_code == 303
    assert _order(session, order_id).scheduled_for == new_day


def test_a_date_outside_the_window_is_refused_with_a_clear_message(client, demo, session):
    today = utcnow().date()
    order_id = scheduled_order(session, "Acme Ltd", today + timedelta(days=1))
    login(client, "alice@acme.example", bss=False)
    for bad in (today.isoformat(), (today + timedelta(days=61)).isoformat(), "not-a-date"):
        response = client.post(
            f"/orders/{order_id}/reschedule",
            data={"scheduled_for": bad},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 422
        assert "<html" not in response.get_data(as_text=True)
        assert "from tomorrow" in text_of(response)
        assert soup(response).find(attrs={"role": "alert"}) is not None
    assert _order(session, order_id).scheduled_for == today + timedelta(days=1)


def test_the_customer_cancels_before_the_date(client, demo, session):
    order_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=2))
    login(client, "alice@acme.example", bss=False)
    response = client.post(f"/orders/{order_id}/cancel-scheduled")
    assert response.status_code == 303
    assert _order(session, order_id).status.type == OrderStatusType.CANCELLED
    again = client.post(f"/orders/{order_id}/cancel-scheduled")
    assert again.status_code == 409


def test_another_customers_scheduled_order_is_a_404(client, demo, session):
    order_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=2))
    login(client, "bob@globex.example", bss=False)
    assert client.get(f"/orders/{order_id}/schedule").status_code == 404
    assert client.post(f"/orders/{order_id}/cancel-scheduled").status_code == 404
    assert _order(session, order_id).status.type == OrderStatusType.SCHEDULED


def test_scheduled_and_executing_cannot_be_set_through_the_bss_order_form(client, demo, session):
    acme = account(session, "Acme Ltd")
    statuses = session.scalars(
        select(OrderStatus).where(
            OrderStatus.tenant_id == acme.tenant_id,
            OrderStatus.type.in_([OrderStatusType.SCHEDULED, OrderStatusType.EXECUTING]),
        )
    ).all()
    # an order in neither status: a Scheduled order's edit form shows its own (locked) status
    order = session.scalar(
        select(Order)
        .where(
            Order.account_id == acme.id,
            Order.parent_order_id.is_(None),
            Order.status_id.not_in([s.id for s in statuses]),
        )
        .order_by(Order.id)
        .limit(1)
    )
    login(client, "admin@skyline.example", bss=True)
    edit = client.get(f"/bss/orders/{order.id}/edit")
    offered = {o["value"] for o in soup(edit).select("select[name=status_id] option")}
    for status in statuses:
        assert str(status.id) not in offered
        before = _order(session, order.id).status_id
        client.post(f"/bss/orders/{order.id}/edit", data={"status_id": status.id, "name": "x"})
        assert _order(session, order.id).status_id == before
        count = session.scalar(select(func.count()).where(Order.status_id == status.id))
        client.post("/bss/orders/new", data={"account_id": acme.id, "status_id": status.id})
        session.expire_all()
        after = session.scalar(select(func.count()).where(Order.status_id == status.id))
        assert after == count


def test_cancelling_a_scheduled_order_asks_first(client, demo, session):
    """Issue 13 point 11: the scheduled order's *Cancel* is a confirmation (page, or dialog
    with htmx) whose form posts the real cancel; the GET changes nothing."""
    order_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=2))
    login(client, "alice@acme.example", bss=False)
    page = soup(client.get(f"/orders/{order_id}"))
    link = page.find("a", string=texts.SCHEDULE_CANCEL_BUTTON)
    assert link["href"] == f"/orders/{order_id}/cancel-scheduled/confirm"
    assert not page.find("form", action=f"/orders/{order_id}/cancel-scheduled")
    confirmation = soup(client.get(link["href"]))
    form = confirmation.find("form", action=f"/orders/{order_id}/cancel-scheduled")
    assert confirmation.find("a", string=texts.CONFIRM_KEEP_ORDER)["href"] == f"/orders/{order_id}"
    dialog = soup(client.get(link["href"], headers={"HX-Request": "true"})).find("dialog")
    assert dialog.has_attr("data-autoshow")
    assert _order(session, order_id).status.type == OrderStatusType.SCHEDULED
    assert client.post(form["action"]).status_code == 303
    assert _order(session, order_id).status.type == OrderStatusType.CANCELLED
    # nothing left to cancel: back to the order page
    assert client.get(link["href"]).status_code == 303
    login(client, "bob@globex.example", bss=False)
    assert client.get(link["href"]).status_code == 404


def test_staff_cannot_execute_a_scheduled_order_early(client, demo, session):
    """Executed by hand it skipped the card charge the scheduler makes on the date."""
    from tests.api_helpers import auth, make_key

    order_id = scheduled_order(session, "Acme Ltd", utcnow().date() + timedelta(days=5))
    login(client, "admin@skyline.example", bss=True)
    page = soup(client.get(f"/bss/orders/{order_id}"))
    execute = page.find("button", string=lambda s: s and "Execute" in s)
    assert execute is None or execute.has_attr("disabled")
    shown = " ".join(page.get_text(" ").split())
    assert texts.ORDER_SCHEDULED in shown  # why there is no Execute
    # the ribbon's date reads like every other date (it showed 2026-12-20)
    day = _order(session, order_id).scheduled_for
    assert f"Scheduled for execution on {day:%d/%m/%Y}." in shown, shown[:600]
    refused = client.post(f"/bss/orders/{order_id}/execute")
    assert refused.status_code in (303, 409, 422)
    token = make_key(session, "admin@skyline.example")
    answer = client.post(f"/api/v1/orders/{order_id}/execute", json={}, headers=auth(token))
    assert answer.status_code == 409, answer.get_json()
    assert texts.ORDER_SCHEDULED in answer.get_json()["detail"]
    assert _order(session, order_id).status.type == OrderStatusType.SCHEDULED


def test_reschedule_messages_read_dates_as_the_page_shows_them(client, demo, session):
    today = utcnow().date()
    order_id = scheduled_order(session, "Acme Ltd", today + timedelta(days=1))
    login(client, "alice@acme.example", bss=False)
    new_day = today + timedelta(days=5)
    client.post(f"/orders/{order_id}/reschedule", data={"scheduled_for": new_day.isoformat()})
    page = text_of(client.get(f"/orders/{order_id}"))
    assert texts.SCHEDULE_RESCHEDULED.format(day=new_day.strftime("%d/%m/%Y")) in page
    assert new_day.isoformat() not in page


def test_a_refused_date_is_said_in_the_pages_format_and_kept_in_the_field(client, demo, session):
    today = utcnow().date()
    order_id = scheduled_order(session, "Acme Ltd", today + timedelta(days=1))
    login(client, "alice@acme.example", bss=False)
    bad = (today + timedelta(days=61)).isoformat()
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(
            f"/orders/{order_id}/reschedule", data={"scheduled_for": bad}, headers=headers
        )
        assert response.status_code == 422
        alert = soup(response).find(attrs={"role": "alert"}).get_text(strip=True)
        first, last = today + timedelta(days=1), today + timedelta(days=60)
        assert f"({first:%d/%m/%Y})" in alert and f"({last:%d/%m/%Y})" in alert, alert
        assert soup(response).find("input", {"name": "scheduled_for"})["value"] == bad
