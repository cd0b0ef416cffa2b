"""BSS orders through the Flask test client: the order page, whole and partial execution,
locks after execution, copy, cancel, Quick Add and Update, export, roles and tenants."""

from sqlalchemy import func, select

from core import texts
from core.models import Invoice, Order, OrderEvent, Subscription
from tests.conftest import login, soup, text_of
from tests.test_bss_support import manual_order, order_with

HTMX = {"HX-Request": "true"}


def _bss(client, email="operator@skyline.example"):
    login(client, email, bss=True)


def test_the_order_page_shows_header_ribbon_products_and_history(client, demo, session):
    _bss(client)
    order = manual_order(session)
    page = client.get(f"/bss/orders/{order.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert order.number in text
    assert "Acme Ltd" in text
    assert texts.HOLD_RIBBONS["manual_execution"] in text
    ribbon = soup(page).find("p", class_="ribbon")
    assert ribbon["role"] == "status"
    row = soup(page).find("tr", id=f"item-{order.items[0].id}")
    cells = row.find_all("td")
    assert cells[3].find("input")["value"] == "5"  # ordered (editable: Update)
    assert [c.get_text(strip=True) for c in cells[4:6]] == ["0", "5"]  # executed, remaining
    history = soup(page).find("table", id="history").get_text(" ")
    assert "Placed on the Storefront" in history
    assert "Submitted" in history


def test_executing_three_of_five_creates_an_executed_sub_order_and_keeps_the_order_submitted(
    client, demo, session
):
    _bss(client)
    order = manual_order(session)
    item = order.items[0]
    response = client.post(
        f"/bss/orders/{order.id}/execute-partial", data={f"execute-{item.id}": "3"}
    )
    assert response.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status.description == "Submitted"
    assert order.items[0].executed_quantity == 3
    sub = session.scalar(select(Order).where(Order.parent_order_id == order.id))
    assert sub.status.description == "Executed"
    assert sub.items[0].quantity == 3
    page = client.get(f"/bss/orders/{order.id}")
    assert sub.number in text_of(page)
    assert texts.ORDER_PARTLY_EXECUTED_AS.format(number=sub.number) in text_of(page)


def test_executing_the_rest_makes_the_primary_order_executed_by_itself(client, demo, session):
    _bss(client)
    order = manual_order(session)
    item_id = order.items[0].id
    client.post(f"/bss/orders/{order.id}/execute-partial", data={f"execute-{item_id}": "3"})
    response = client.post(f"/bss/orders/{order.id}/execute")
    assert response.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status.description == "Executed"
    assert order.executed_at is not None
    assert session.scalar(select(func.count()).where(Order.parent_order_id == order.id)) == 2
    subscription = session.scalar(
        select(Subscription).where(Subscription.id == order.items[0].subscription_id)
    )
    assert subscription.quantity == 5
    invoices = session.scalars(
        select(Invoice).where(
            Invoice.order_id.in_(select(Order.id).where(Order.parent_order_id == order.id))
        )
    ).all()
    assert sorted(sum(line.quantity for line in i.lines) for i in invoices) == [2, 3]


def test_a_partial_quantity_above_what_remains_is_refused_and_changes_nothing(
    client, demo, session
):
    _bss(client)
    order = manual_order(session)
    item_id = order.items[0].id
    response = client.post(
        f"/bss/orders/{order.id}/execute-partial", data={f"execute-{item_id}": "6"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "At most 5 can still be executed" in text_of(response)
    assert soup(response).find("section", id="products") is not None
    assert soup(response).find("h1") is None  # only the Products region
    session.expire_all()
    assert session.get(Order, order.id).items[0].executed_quantity == 0
    assert (
        session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.order_id == order.id)
        )
        == 0
    )


def test_a_double_click_on_execute_order_executes_once(client, demo, session):
    _bss(client)
    order = manual_order(session)
    first = client.post(f"/bss/orders/{order.id}/execute")
    second = client.post(f"/bss/orders/{order.id}/execute")
    assert first.status_code == 303
    assert second.status_code == 409
    assert texts.ORDER_NOTHING_LEFT in text_of(second) or texts.ORDER_LOCKED in text_of(second)
    assert (
        session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.order_id == order.id)
        )
        == 1
    )


def test_an_executed_order_is_locked_on_the_page_and_on_the_server(client, demo, session):
    _bss(client)
    order = manual_order(session)
    item_id = order.items[0].id
    client.post(f"/bss/orders/{order.id}/execute")
    page = client.get(f"/bss/orders/{order.id}")
    assert texts.ORDER_LOCKED in text_of(page)
    html = soup(page)
    assert html.find("input", {"name": f"quantity-{item_id}"}) is None
    assert html.find("form", action=f"/bss/orders/{order.id}/items") is None
    execute_buttons = [
        b for b in html.find_all("button") if b.get_text(strip=True) == "Execute Order"
    ]
    assert execute_buttons and all(b.has_attr("disabled") for b in execute_buttons)
    assert html.find("a", href=f"/bss/orders/{order.id}/export.csv") is not None
    # the server refuses what the page no longer offers
    for url, data in [
        (f"/bss/orders/{order.id}/items/update", {f"quantity-{item_id}": "7"}),
        (f"/bss/orders/{order.id}/items", {"product_plan": "1-1", "quantity": "1"}),
        (f"/bss/orders/{order.id}/cancel", {}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 409, url
        assert texts.ORDER_LOCKED in text_of(response)
    session.expire_all()
    assert session.get(Order, order.id).items[0].quantity == 5
    assert len(session.get(Order, order.id).items) == 1


def test_the_status_is_locked_in_edit_after_execution(client, demo, session):
    _bss(client)
    order = manual_order(session)
    client.post(f"/bss/orders/{order.id}/execute")
    page = client.get(f"/bss/orders/{order.id}/edit")
    assert page.status_code == 200
    assert soup(page).find("select", {"name": "status_id"}) is None
    assert "(locked)" in text_of(page)
    submitted = session.scalar(select(Order.status_id).where(Order.id == manual_order(session).id))
    crafted = client.post(
        f"/bss/orders/{order.id}/edit", data={"name": "Renamed", "status_id": "2"}
    )
    assert crafted.status_code == 409
    session.expire_all()
    assert session.get(Order, order.id).status_id == submitted
    assert session.get(Order, order.id).name is None
    ok = client.post(f"/bss/orders/{order.id}/edit", data={"name": "Renamed"})
    assert ok.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).name == "Renamed"


def test_copying_an_executed_order_creates_a_new_submitted_order_with_a_new_number(
    client, demo, session
):
    _bss(client)
    done = order_with(session, "M365-PREM")
    response = client.post(f"/bss/orders/{done.id}/copy")
    assert response.status_code == 303
    copy = session.scalar(select(Order).where(Order.copied_from_id == done.id))
    assert response.headers["Location"].endswith(f"/bss/orders/{copy.id}")
    assert copy.number != done.number
    assert copy.status.description == "Submitted"
    assert [(i.description, i.quantity, i.executed_quantity) for i in copy.items] == [
        (done.items[0].description, 2, 0)
    ]
    page = client.get(f"/bss/orders/{copy.id}")
    assert f"Copied from {done.number}" in text_of(page)
    # the header names the original by its number (it read "the original order")
    (link,) = soup(page).select(f'dd a[href="/bss/orders/{done.id}"]')
    assert link.get_text(strip=True) == done.number


def test_copying_a_sub_order_copies_its_quantities(client, demo, session):
    _bss(client)
    order = manual_order(session)
    client.post(
        f"/bss/orders/{order.id}/execute-partial", data={f"execute-{order.items[0].id}": "3"}
    )
    sub = session.scalar(select(Order).where(Order.parent_order_id == order.id))
    response = client.post(f"/bss/orders/{sub.id}/copy")
    assert response.status_code == 303
    copy = session.scalar(select(Order).where(Order.copied_from_id == sub.id))
    assert copy.parent_order_id is None
    assert copy.items[0].quantity == 3
    assert copy.status.description == "Submitted"


def test_an_order_with_nothing_executed_can_be_cancelled_but_not_a_partly_executed_one(
    client, demo, session
):
    _bss(client)
    order = manual_order(session)
    response = client.post(f"/bss/orders/{order.id}/cancel")
    assert response.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status.description == "Canceled"
    assert all(h.released_at is not None for h in order.holds)
    partly = order_with(session, "MNG-FW")
    refused = client.post(f"/bss/orders/{partly.id}/cancel")
    assert refused.status_code == 409
    assert texts.ORDER_PARTLY_EXECUTED in text_of(refused)


def test_a_new_bss_order_is_submitted_by_default_and_gets_items_by_quick_add(client, demo, session):
    _bss(client)
    form = client.get("/bss/orders/new")
    assert form.status_code == 200
    selected = soup(form).find("select", {"name": "status_id"}).find("option", selected=True)
    assert selected.get_text(strip=True) == "Submitted"
    acme = soup(form).find("option", string="Acme Ltd")["value"]
    response = client.post("/bss/orders/new", data={"account_id": acme, "name": "Renewal"})
    assert response.status_code == 303
    order = session.scalar(select(Order).where(Order.name == "Renewal"))
    assert order.status.description == "Submitted"
    assert order.source == "bss"
    page = client.get(f"/bss/orders/{order.id}")
    option = next(
        o
        for o in soup(page).find("select", {"name": "product_plan"}).find_all("option")
        if o.get_text(strip=True).startswith("Microsoft 365 Business Standard")
    )
    added = client.post(
        f"/bss/orders/{order.id}/items",
        data={"product_plan": option["value"], "quantity": "4"},
        headers=HTMX,
    )
    assert added.status_code == 204
    assert added.headers["HX-Redirect"].endswith(f"/bss/orders/{order.id}#products")
    session.expire_all()
    order = session.get(Order, order.id)
    assert [i.quantity for i in order.items] == [4]
    assert order.total == order.items[0].unit_price * 4
    updated = client.post(
        f"/bss/orders/{order.id}/items/update", data={f"quantity-{order.items[0].id}": "6"}
    )
    assert updated.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).items[0].quantity == 6


def test_the_user_may_pick_another_in_progress_status_but_never_draft_scheduled_or_executing(
    client, demo, session
):
    _bss(client)
    form = soup(client.get("/bss/orders/new"))
    labels = [
        o.get_text(strip=True)
        for o in form.find("select", {"name": "status_id"}).find_all("option")
    ]
    assert "Draft" not in labels  # issue 13 point 5: Draft belongs to the Storefront checkout
    assert "Scheduled" not in labels and "Executing" not in labels
    acme = form.find("option", string="Acme Ltd")["value"]
    from core.models import OrderStatus

    scheduled_id = session.scalar(
        select(OrderStatus.id).where(OrderStatus.mandatory_key == "scheduled").limit(1)
    )
    refused = client.post(
        "/bss/orders/new", data={"account_id": acme, "status_id": str(scheduled_id)}
    )
    assert refused.status_code == 422
    assert texts.ORDER_STATUS_NOT_ASSIGNABLE in text_of(refused)


def test_quick_add_refuses_mixing_manual_and_automatic_items(client, demo, session):
    _bss(client)
    order = manual_order(session)
    page = client.get(f"/bss/orders/{order.id}")
    option = next(
        o
        for o in soup(page).find("select", {"name": "product_plan"}).find_all("option")
        if o.get_text(strip=True).startswith("Microsoft 365 Business Standard")
    )
    response = client.post(
        f"/bss/orders/{order.id}/items", data={"product_plan": option["value"], "quantity": "1"}
    )
    assert response.status_code == 422
    assert texts.ORDER_MIXED_EXECUTION_TYPES in text_of(response)
    session.expire_all()
    assert len(session.get(Order, order.id).items) == 1


def test_the_csv_export_and_the_print_out_list_the_items(client, demo, session):
    _bss(client)
    order = order_with(session, "MNG-FW")
    csv = client.get(f"/bss/orders/{order.id}/export.csv")
    assert csv.status_code == 200
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("order,account,status")
    assert f"{order.number},Globex Corp" in lines[1]
    assert ",2,1,1," in lines[1]  # ordered, executed, remaining
    printed = client.get(f"/bss/orders/{order.id}/print")
    assert printed.status_code == 200
    assert "Globex Corp" in text_of(printed)


def test_every_step_is_in_the_status_history(client, demo, session):
    _bss(client)
    order = manual_order(session)
    item_id = order.items[0].id
    client.post(f"/bss/orders/{order.id}/execute-partial", data={f"execute-{item_id}": "3"})
    client.post(f"/bss/orders/{order.id}/execute")
    events = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    kinds = [e.kind for e in events]
    assert kinds.count("execution") == 2
    assert "release" in kinds
    last = events[-1]
    assert last.kind == "status" and last.to_status.description == "Executed"
    assert "Olivia" in last.actor_label or "operator@skyline.example" in last.actor_label


def test_storefront_users_get_403_on_bss_pages(client, demo, session):
    login(client, "alice@acme.example", bss=False)
    order = manual_order(session)
    for url in (
        "/bss/",
        "/bss/orders",
        f"/bss/orders/{order.id}",
        "/bss/dashboard/unexecuted-orders",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/bss/orders/{order.id}/execute").status_code == 403
    session.expire_all()
    assert session.get(Order, order.id).items[0].executed_quantity == 0


def test_an_order_of_another_tenant_is_a_404_everywhere(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    order = manual_order(session)
    for url in (
        f"/bss/orders/{order.id}",
        f"/bss/orders/{order.id}/edit",
        f"/bss/orders/{order.id}/export.csv",
        f"/bss/orders/{order.id}/print",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/bss/orders/{order.id}/execute",
        f"/bss/orders/{order.id}/execute-partial",
        f"/bss/orders/{order.id}/copy",
        f"/bss/orders/{order.id}/cancel",
        f"/bss/orders/{order.id}/items",
        f"/bss/orders/{order.id}/items/update",
    ):
        assert client.post(url, data={"product_plan": "1-1", "quantity": "1"}).status_code == 404, (
            url
        )
    session.expire_all()
    assert session.get(Order, order.id).items[0].executed_quantity == 0
    assert order.number not in text_of(client.get("/bss/orders"))


def test_the_server_refuses_what_a_back_order_does_not_allow(client, demo, session):
    order = manual_order(session)
    order.backorder_reseller_name = "Skyline Cloud"
    session.commit()
    item_id = order.items[0].id
    _bss(client, "admin@skyline.example")
    page = soup(client.get(f"/bss/orders/{order.id}"))
    assert page.find("input", {"name": f"execute-{item_id}"}) is None
    copy_button = next(b for b in page.find_all("button") if b.get_text(strip=True) == "Copy")
    assert copy_button.has_attr("disabled")
    for url, data in [
        (f"/bss/orders/{order.id}/execute", {}),
        (f"/bss/orders/{order.id}/execute-partial", {f"execute-{item_id}": "1"}),
        (f"/bss/orders/{order.id}/copy", {}),
        (f"/bss/orders/{order.id}/cancel", {}),
        (f"/bss/orders/{order.id}/items/update", {f"quantity-{item_id}": "2"}),
        (f"/bss/orders/{order.id}/items", {"product_plan": "1-1", "quantity": "1"}),
        (f"/bss/orders/{order.id}/edit", {"status_id": "1"}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 403, url
        assert texts.BACKORDER_ACTION_REFUSED in text_of(response), url
    allowed = client.post(
        f"/bss/orders/{order.id}/edit", data={"name": "Renamed", "campaign": "Spring"}
    )
    assert allowed.status_code == 303
    session.expire_all()
    order = session.get(Order, order.id)
    assert (order.name, order.campaign) == ("Renamed", "Spring")
    assert order.items[0].executed_quantity == 0 and order.items[0].quantity == 5
    assert order.status.description == "Submitted"
    assert session.scalar(select(func.count()).where(Order.copied_from_id == order.id)) == 0


def test_a_sub_order_of_three_of_five_at_120_totals_360_on_its_page_and_in_the_list(
    client, demo, session
):
    _bss(client)
    order = manual_order(session)
    item = order.items[0]
    assert item.unit_price == 120
    client.post(f"/bss/orders/{order.id}/execute-partial", data={f"execute-{item.id}": "3"})
    sub = session.scalar(select(Order).where(Order.parent_order_id == order.id))
    session.refresh(sub)
    assert str(sub.total) == "360.00"
    assert "€360.00" in text_of(client.get(f"/bss/orders/{sub.id}"))
    listed = soup(client.get("/bss/orders", query_string={"q": sub.number}))
    row = next(tr for tr in listed.select("#orders-table tbody tr") if sub.number in tr.text)
    assert row.find_all("td")[-1].get_text(strip=True) == "€360.00"


def test_a_refused_quick_add_clears_the_earlier_item_added_banner(client, demo, session):
    _bss(client)
    order = manual_order(session)
    refused = client.post(
        f"/bss/orders/{order.id}/items", data={"product_plan": "", "quantity": "0"}, headers=HTMX
    )
    assert refused.status_code == 422
    flashes = soup(refused).find(id="flashes")
    assert flashes is not None and flashes.get("hx-swap-oob") == "true"
    assert flashes.get_text(strip=True) == ""
