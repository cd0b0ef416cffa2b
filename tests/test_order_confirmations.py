"""Destructive or irreversible actions ask first (issue 13 point 11): the confirmation is a page
without JavaScript (these tests) and, for htmx, the same fragment in a dialog; it posts to the
real action. Also the Delivered status chosen at execution (point 5)."""

from sqlalchemy import func, select

from core import texts
from core.db import write_transaction
from core.enums import HoldReason
from core.models import Invoice, Order, OrderHold
from tests.conftest import login, soup, text_of
from tests.test_bss_order_statuses import _add_status, _status
from tests.test_bss_support import manual_order, order_with

HTMX = {"HX-Request": "true"}


def _bss(client):
    login(client, "operator@skyline.example", bss=True)


def _invoices(session, order):
    """Invoices of the order and of its sub-orders."""
    ids = select(Order.id).where((Order.id == order.id) | (Order.parent_order_id == order.id))
    return session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.order_id.in_(ids))
    )


def test_execute_order_opens_a_confirmation_that_lists_what_will_be_executed(client, demo, session):
    _bss(client)
    order = manual_order(session)
    page = soup(client.get(f"/bss/orders/{order.id}"))
    link = page.find("a", string="Execute Order")
    assert link["href"] == f"/bss/orders/{order.id}/execute/confirm"
    assert not page.find("form", action=f"/bss/orders/{order.id}/execute")
    confirm = client.get(link["href"])
    assert confirm.status_code == 200
    body = soup(confirm)
    assert body.find("h1").get_text() == texts.CONFIRM_EXECUTE_TITLE.format(number=order.number)
    lines = [li.get_text(strip=True) for li in body.select(".confirm-lines li")]
    assert lines == ["Dedicated Private Cloud (Monthly) × 5"]
    form = body.find("form", action=f"/bss/orders/{order.id}/execute")
    assert form["method"] == "post"
    assert body.find("a", string=texts.CONFIRM_GO_BACK)["href"] == f"/bss/orders/{order.id}"
    session.expire_all()
    assert session.get(Order, order.id).items[0].executed_quantity == 0  # a GET changes nothing
    assert client.post(form["action"]).status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).status.description == "Executed"


def test_the_execution_confirmation_warns_about_an_open_credit_or_payment_hold(
    client, demo, session
):
    order = manual_order(session)
    with write_transaction(session):
        session.add(OrderHold(order_id=order.id, reason=HoldReason.CREDIT_LIMIT, detail="x"))
    _bss(client)
    text = text_of(client.get(f"/bss/orders/{order.id}/execute/confirm"))
    assert texts.CONFIRM_HOLD_WARNING.format(hold="Credit limit exceeded") in text
    assert "Manual execution required" not in text  # that hold is why a person executes


def test_execute_selected_quantities_confirms_the_chosen_quantities_then_posts_them(
    client, demo, session
):
    _bss(client)
    order = manual_order(session)
    item = order.items[0]
    page = soup(client.get(f"/bss/orders/{order.id}"))
    form = page.find("form", id="execute-form")
    assert form["method"] == "get"
    assert form["action"] == f"/bss/orders/{order.id}/execute-partial/confirm"
    confirm = client.get(form["action"], query_string={f"execute-{item.id}": "3"})
    assert confirm.status_code == 200
    body = soup(confirm)
    assert [li.get_text(strip=True) for li in body.select(".confirm-lines li")] == [
        "Dedicated Private Cloud (Monthly) × 3"
    ]
    post = body.find("form", action=f"/bss/orders/{order.id}/execute-partial")
    hidden = {i["name"]: i["value"] for i in post.find_all("input", type="hidden")}
    assert hidden[f"execute-{item.id}"] == "3"
    session.expire_all()
    assert session.get(Order, order.id).items[0].executed_quantity == 0
    assert client.post(post["action"], data=hidden).status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).items[0].executed_quantity == 3


def test_a_confirmation_of_impossible_quantities_says_why_and_changes_nothing(
    client, demo, session
):
    _bss(client)
    order = manual_order(session)
    item = order.items[0]
    url = f"/bss/orders/{order.id}/execute-partial/confirm"
    too_many = client.get(url, query_string={f"execute-{item.id}": "6"})
    assert too_many.status_code == 422
    assert "At most 5 can still be executed" in text_of(too_many)
    nothing = client.get(url)
    assert nothing.status_code == 422
    assert "Choose at least one item" in text_of(nothing)
    htmx = client.get(url, query_string={f"execute-{item.id}": "x"}, headers=HTMX)
    assert htmx.status_code == 422
    assert htmx.headers["HX-Retarget"] == "#products"
    assert _invoices(session, order) == 0


def test_cancel_order_in_the_bss_asks_first(client, demo, session):
    _bss(client)
    order = manual_order(session)
    page = soup(client.get(f"/bss/orders/{order.id}"))
    link = page.find("a", string="Cancel order")
    assert link["href"] == f"/bss/orders/{order.id}/cancel/confirm"
    body = soup(client.get(link["href"]))
    assert body.find("h1").get_text() == texts.CONFIRM_CANCEL_ORDER_TITLE.format(
        number=order.number
    )
    form = body.find("form", action=f"/bss/orders/{order.id}/cancel")
    session.expire_all()
    assert session.get(Order, order.id).status.description == "Submitted"
    assert client.post(form["action"]).status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).status.description == "Canceled"


def test_a_partly_executed_order_gets_no_cancel_confirmation(client, demo, session):
    _bss(client)
    partly = order_with(session, "MNG-FW")
    refused = client.get(f"/bss/orders/{partly.id}/cancel/confirm")
    assert refused.status_code == 409
    assert texts.ORDER_PARTLY_EXECUTED in text_of(refused)


def test_for_htmx_the_confirmation_is_only_its_dialog(client, demo, session):
    _bss(client)
    order = manual_order(session)
    fragment = client.get(f"/bss/orders/{order.id}/execute/confirm", headers=HTMX)
    assert fragment.status_code == 200
    dialog = soup(fragment).find("dialog")
    assert dialog.has_attr("data-autoshow")
    assert dialog["aria-labelledby"] == "confirm-heading"
    assert soup(fragment).find("h1") is None and soup(fragment).find("header") is None
    assert dialog.find("a", string=texts.CONFIRM_GO_BACK).has_attr("data-close-dialog")


def test_the_customers_cancel_this_order_asks_first(client, demo, session):
    login(client, "alice@acme.example")
    order = manual_order(session)
    page = soup(client.get(f"/orders/{order.id}"))
    link = page.find("a", string="Cancel this order")
    assert link["href"] == f"/orders/{order.id}/cancel/confirm"
    assert not page.find("form", action=f"/orders/{order.id}/cancel")
    body = soup(client.get(link["href"]))
    form = body.find("form", action=f"/orders/{order.id}/cancel")
    assert body.find("a", string=texts.CONFIRM_KEEP_ORDER)["href"] == f"/orders/{order.id}"
    session.expire_all()
    assert session.get(Order, order.id).status.description == "Submitted"
    assert client.post(form["action"]).status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).status.description == "Canceled"
    # nothing left to cancel: back to the order page with the reason
    again = client.get(f"/orders/{order.id}/cancel/confirm")
    assert again.status_code == 303
    assert texts.ORDER_NOT_CANCELABLE in text_of(client.get(again.headers["Location"]))


def test_a_delivered_status_is_chosen_at_execution_after_executed(client, demo, session):
    _add_status(client, "Delivered on site", "delivered", storefront_type="submitted")
    order = manual_order(session)
    body = soup(client.get(f"/bss/orders/{order.id}/execute/confirm"))
    options = [o.get_text(strip=True) for o in body.find(id="confirm-executed_status_id")("option")]
    assert options == ["Executed", "Delivered on site"]
    delivered = _status(session, "Delivered on site")
    response = client.post(
        f"/bss/orders/{order.id}/execute", data={"executed_status_id": str(delivered.id)}
    )
    assert response.status_code == 303
    session.expire_all()
    done = session.get(Order, order.id)
    assert done.status_id == delivered.id
    assert client.post(f"/bss/orders/{order.id}/items/update").status_code == 409  # locked


def test_a_crafted_executed_status_is_refused_and_nothing_is_executed(client, demo, session):
    _bss(client)
    order = manual_order(session)
    canceled, submitted = _status(session, "Canceled").id, _status(session, "Submitted").id
    for crafted in (canceled, submitted, "x", "²", "9" * 40):
        response = client.post(
            f"/bss/orders/{order.id}/execute", data={"executed_status_id": str(crafted)}
        )
        assert response.status_code == 422
        assert texts.ORDER_EXECUTED_STATUS_INVALID in text_of(response)
    assert _invoices(session, order) == 0
