"""What the distributor may not do with a back-order (PRODUCT.md section 8, seed 003): every
refused action is tried through a crafted POST against the BSS order routes; the server refuses
it with a clear message and nothing changes. What is allowed still works."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import texts
from core.models import Invoice, Order, OrderEvent, OrderItem, Product, Subscription
from core.services.statuses import StatusBook
from tests.conftest import login, soup, text_of
from tests.test_backorders_service import backorders_in


def snapshot(session, bo_id: int):
    """Everything a refused action could have changed."""
    session.expire_all()
    bo = session.get(Order, bo_id)
    return (
        bo.status_id,
        bo.total,
        bo.name,
        bo.payment_method,
        bo.executed_at,
        [(i.id, i.quantity, i.executed_quantity, i.unit_price) for i in bo.items],
        session.scalar(select(func.count()).select_from(Order)),
        session.scalar(select(func.count()).select_from(OrderItem)),
        session.scalar(select(func.count()).select_from(Invoice)),
        session.scalar(select(func.count()).select_from(Subscription)),
        session.scalar(select(func.count()).where(OrderEvent.order_id == bo_id)),
    )


def _refused_requests(session, bo):
    item = bo.items[0]
    product = session.get(Product, item.product_id)
    executed = StatusBook.load(session, bo.tenant_id).executed()
    return {
        "execute order": ("execute", {}),
        "partial execution": ("execute-partial", {f"execute-{item.id}": "1"}),
        "copy order": ("copy", {}),
        "delete (cancel) order": ("cancel", {}),
        "quick add an item": (
            "items",
            {"product_plan": f"{product.id}-{product.plans[0].id}", "quantity": "1"},
        ),
        "change an item's quantity": ("items/update", {f"quantity-{item.id}": "9"}),
        "edit the status": ("edit", {"name": bo.name, "status_id": str(executed.id)}),
    }


REFUSED = [
    "execute order",
    "partial execution",
    "copy order",
    "delete (cancel) order",
    "quick add an item",
    "change an item's quantity",
    "edit the status",
]


@pytest.mark.parametrize("action", REFUSED)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_refused_action_on_a_backorder_is_refused_by_the_server_and_changes_nothing(
    client, demo, session, action, htmx
):
    bo = backorders_in(session, "distributor")[-1]
    path, data = _refused_requests(session, bo)[action]
    login(client, "admin@nimbus.example", bss=True)
    before = snapshot(session, bo.id)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/bss/orders/{bo.id}/{path}", data=data, headers=headers)
    assert response.status_code == 403, response.status_code
    if not htmx:  # htmx does not swap a 403; the plain page says why
        assert texts.BACKORDER_ACTION_REFUSED in text_of(response)
    assert snapshot(session, bo.id) == before


def test_the_refused_actions_are_not_offered_on_the_backorder_page(client, demo, session):
    bo = backorders_in(session, "distributor")[-1]
    login(client, "admin@nimbus.example", bss=True)
    page = soup(client.get(f"/bss/orders/{bo.id}"))
    refused = {
        f"/bss/orders/{bo.id}/{path}"
        for path in ("execute", "execute-partial", "copy", "cancel", "items", "items/update")
    }
    offered = []
    for form in page.find_all("form", action=lambda a: a in refused):
        buttons = form.find_all("button") + (
            page.find_all("button", attrs={"form": form["id"]}) if form.get("id") else []
        )
        offered += [
            (form["action"], b.get_text(strip=True)) for b in buttons if not b.has_attr("disabled")
        ]
    assert offered == []
    assert page.find(attrs={"name": "product_plan"}) is None  # no Quick Add fields
    assert not page.select("input[name^=quantity-]") and not page.select("input[name^=execute-]")
    # hidden, not merely disabled (seed 003): no refused button appears at all
    labels = {b.get_text(strip=True) for b in page.find_all("button")}
    assert not labels & {
        "Execute Order",
        "Copy",
        "Cancel order",
        "Update",
        "Add",
        "Execute selected quantities",
    }


def test_the_distributor_may_edit_the_allowed_fields_of_a_backorder(client, demo, session):
    bo = backorders_in(session, "distributor")[-1]
    login(client, "admin@nimbus.example", bss=True)
    response = client.post(
        f"/bss/orders/{bo.id}/edit",
        data={
            "name": "Skyline: Premium for Acme",
            "order_type": "Resale",
            "payment_method": "card",
            "sales_rep": "Rita Rep",
            "contact": "Sam Admin",
            "campaign": "Modern Work push",
            "custom_fields": '{"po": "PO-77"}',
        },
    )
    assert response.status_code == 303
    session.expire_all()
    bo = session.get(Order, bo.id)
    assert (bo.name, bo.order_type, bo.payment_method) == (
        "Skyline: Premium for Acme",
        "Resale",
        "card",
    )
    assert (bo.sales_rep, bo.contact, bo.campaign) == ("Rita Rep", "Sam Admin", "Modern Work push")
    assert bo.custom_fields == '{"po": "PO-77"}'


def test_the_distributor_may_view_the_print_out_and_export_of_a_backorder(client, demo, session):
    bo = backorders_in(session, "distributor")[-1]
    login(client, "admin@nimbus.example", bss=True)
    assert client.get(f"/bss/orders/{bo.id}/print").status_code == 200
    export = client.get(f"/bss/orders/{bo.id}/export.csv")
    assert export.status_code == 200 and bo.number in export.get_data(as_text=True)


def test_a_refused_htmx_action_answers_with_the_message_htmx_will_show(client, demo, session):
    bo = backorders_in(session, "distributor")[-1]
    login(client, "admin@nimbus.example", bss=True)
    response = client.post(f"/bss/orders/{bo.id}/copy", headers={"HX-Request": "true"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "<html" not in body and texts.BACKORDER_ACTION_REFUSED in body
