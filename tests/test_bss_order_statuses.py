"""Custom order statuses in use (issue 13 point 5): the seed's "Canceled - Denial" example,
what New order and Edit offer, the Type picker of a new status, and crafted posts."""

from sqlalchemy import select

from core import texts
from core.models import Order, OrderStatus
from tests.conftest import login, soup, text_of
from tests.test_bss_support import manual_order, order_with, tenant


def _add_status(client, description, type_, storefront_type="viewable", number="20"):
    login(client, "admin@skyline.example", bss=True)
    response = client.post(
        "/bss/setup/order-statuses",
        data={
            "number": number,
            "description": description,
            "type": type_,
            "storefront_type": storefront_type,
            "color": "#7f1d1d",
            "active": "y",
        },
    )
    assert response.status_code == 303, text_of(response)


def _status(session, description) -> OrderStatus:
    return session.scalar(
        select(OrderStatus).where(
            OrderStatus.tenant_id == tenant(session).id, OrderStatus.description == description
        )
    )


def _options(page, name="status_id") -> list[str]:
    select_ = soup(page).find("select", {"name": name})
    return [o.get_text(strip=True) for o in select_.find_all("option")]


def test_an_admins_canceled_denial_status_cancels_an_order_from_edit(client, demo, session):
    _add_status(client, "Canceled - Denial", "cancelled")
    order = manual_order(session)
    assert "Canceled - Denial" in _options(client.get(f"/bss/orders/{order.id}/edit"))
    denial = _status(session, "Canceled - Denial")
    # it asks first, as Cancel order does (tests/test_bss_order_edit_rules.py), then cancels
    asked = client.post(f"/bss/orders/{order.id}/edit", data={"status_id": str(denial.id)})
    assert asked.status_code == 200 and session.get(Order, order.id).status_id != denial.id
    response = client.post(
        f"/bss/orders/{order.id}/edit", data={"status_id": str(denial.id), "confirmed": "1"}
    )
    assert response.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status_id == denial.id
    assert all(h.released_at is not None for h in order.holds)  # as Cancel does
    history = soup(client.get(f"/bss/orders/{order.id}")).find("table", id="history")
    assert "Canceled - Denial" in history.get_text()
    assert texts.ORDER_STATUS_CANCELED_BY_EDIT in history.get_text()
    # cancelled: locked like any cancelled order
    assert client.post(f"/bss/orders/{order.id}/execute").status_code == 409


def test_a_partly_executed_order_is_never_cancelled_through_edit(client, demo, session):
    _add_status(client, "Canceled - Denial", "cancelled")
    partly = order_with(session, "MNG-FW")
    before = partly.status_id
    options = _options(client.get(f"/bss/orders/{partly.id}/edit"))
    assert "Canceled - Denial" not in options and "Canceled" not in options
    denial = _status(session, "Canceled - Denial")
    crafted = client.post(f"/bss/orders/{partly.id}/edit", data={"status_id": str(denial.id)})
    assert crafted.status_code == 409
    assert texts.ORDER_PARTLY_EXECUTED in text_of(crafted)
    session.expire_all()
    assert session.get(Order, partly.id).status_id == before


def test_a_custom_in_progress_status_is_offered_by_new_order_and_edit(client, demo, session):
    _add_status(client, "Awaiting hardware", "in_progress")
    assert "Awaiting hardware" in _options(client.get("/bss/orders/new"))
    order = manual_order(session)
    waiting = _status(session, "Awaiting hardware")
    response = client.post(f"/bss/orders/{order.id}/edit", data={"status_id": str(waiting.id)})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).status_id == waiting.id


def test_new_order_and_edit_never_offer_draft_or_pending_reseller_approval(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    order = manual_order(session)
    new_options = _options(client.get("/bss/orders/new"))
    edit_options = _options(client.get(f"/bss/orders/{order.id}/edit"))
    for never in ("Draft", "Pending Reseller Approval", "Canceled by Reseller"):
        assert never not in new_options and never not in edit_options
    assert "Canceled" not in new_options and "Executed" not in new_options
    acme = soup(client.get("/bss/orders/new")).find("option", string="Acme Ltd")["value"]
    for description in ("Draft", "Pending Reseller Approval", "Executed", "Canceled"):
        crafted = client.post(
            "/bss/orders/new",
            data={"account_id": acme, "status_id": str(_status(session, description).id)},
        )
        assert crafted.status_code == 422, description
        assert texts.ORDER_STATUS_NOT_ASSIGNABLE in text_of(crafted)
    for description in ("Draft", "Pending Reseller Approval", "Canceled by Reseller"):
        crafted = client.post(
            f"/bss/orders/{order.id}/edit",
            data={"status_id": str(_status(session, description).id)},
        )
        assert crafted.status_code in (409, 422), description
    session.expire_all()
    assert session.get(Order, order.id).status.description == "Submitted"


def test_the_type_picker_of_a_new_status_offers_no_scheduled_or_executing(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    page = client.get("/bss/setup/order-statuses")
    new_types = [o.get_text(strip=True) for o in soup(page).find(id="new-type").find_all("option")]
    assert "Scheduled" not in new_types and "Executing" not in new_types
    assert {"In progress", "Automatic Execute", "Delivered", "Cancelled"} <= set(new_types)
    for crafted_type in ("scheduled", "executing"):
        crafted = client.post(
            "/bss/setup/order-statuses",
            data={
                "number": "30",
                "description": f"Crafted {crafted_type}",
                "type": crafted_type,
                "storefront_type": "viewable",
                "color": "#123456",
                "active": "y",
            },
        )
        assert crafted.status_code == 422
        assert _status(session, f"Crafted {crafted_type}") is None


def test_the_add_row_htmx_sends_back_after_adding_offers_no_scheduled_or_executing(
    client, demo, session
):
    login(client, "admin@skyline.example", bss=True)
    response = client.post(
        "/bss/setup/order-statuses",
        data={
            "number": "21",
            "description": "Awaiting parts",
            "type": "in_progress",
            "storefront_type": "viewable",
            "color": "#7f1d1d",
            "active": "y",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    new_types = [o.get_text(strip=True) for o in soup(response).find(id="new-type")("option")]
    assert new_types and "Scheduled" not in new_types and "Executing" not in new_types
