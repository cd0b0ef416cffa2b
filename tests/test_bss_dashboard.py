"""The BSS dashboard (PRODUCT.md 6.1): Unexecuted Orders and Orders For Manual Management."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from core import texts
from core.db import write_transaction
from core.models import Order, OrderStatus
from core.rules.statuses import OrderStatusType, StorefrontType
from core.services import dashboard, orders
from core.services.statuses import StatusBook
from tests.conftest import login, soup, text_of
from tests.test_bss_support import manual_order, order_with, tenant, user


def test_unexecuted_orders_lists_every_submitted_order_newest_first(session, demo):
    t = tenant(session)
    rows = dashboard.unexecuted_orders(session, t.id)
    numbers = [r.number for r in rows]
    assert manual_order(session).number in numbers
    assert order_with(session, "MNG-FW").number in numbers  # partially executed
    assert order_with(session, "M365-PREM").number not in numbers  # executed
    dates = [r.order_date for r in rows]
    assert dates == sorted(dates, reverse=True)
    partly = {r.number: r.partly_executed for r in rows}
    assert partly[order_with(session, "MNG-FW").number] is True
    assert partly[manual_order(session).number] is False


def test_a_row_disappears_once_its_order_is_executed(session, demo):
    t = tenant(session)
    order = manual_order(session)
    orders.execute(session, t.id, order.id, user(session, "operator@skyline.example"))
    numbers = [r.number for r in dashboard.unexecuted_orders(session, t.id)]
    assert order.number not in numbers
    # its sub-orders (if any) never show either: they are Executed
    assert not any("-" in n for n in numbers)


def test_manual_management_shows_storefront_orders_with_manual_items_left(session, demo):
    t = tenant(session)
    rows = dashboard.manual_management_orders(session, t.id)
    numbers = [r.number for r in rows]
    assert manual_order(session).number in numbers
    assert order_with(session, "MNG-FW").number in numbers
    assert order_with(session, "M365-PREM").number not in numbers
    orders.execute(session, t.id, manual_order(session).id, user(session, "admin@skyline.example"))
    assert manual_order(session).number not in [
        r.number for r in dashboard.manual_management_orders(session, t.id)
    ]


def test_bss_orders_are_not_orders_for_manual_management(session, demo):
    t = tenant(session)
    acme = manual_order(session).account_id
    order = orders.create_order(
        session, t.id, user(session, "admin@skyline.example"), account_id=acme
    )
    product_plan = next(
        v
        for v, label in orders.catalogue_options(session, t.id, order.price_list_id)
        if label.startswith("Dedicated Private Cloud")
    )
    product_id, plan_id = map(int, product_plan.split("-"))
    orders.quick_add(
        session,
        t.id,
        order.id,
        user(session, "admin@skyline.example"),
        product_id=product_id,
        plan_id=plan_id,
        quantity=1,
    )
    numbers = [r.number for r in dashboard.manual_management_orders(session, t.id)]
    assert order.number not in numbers
    assert order.number in [r.number for r in dashboard.unexecuted_orders(session, t.id)]


def test_the_dashboard_page_shows_both_widgets(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    page = client.get("/bss/")
    assert page.status_code == 200
    text = text_of(page)
    assert "Unexecuted Orders" in text
    assert "Orders For Manual Management" in text
    widget = soup(page).find(id="unexecuted-orders")
    assert not widget.has_attr("hx-get")  # the widget stays; only its rows are refreshed
    rows = widget.find("tbody", id="unexecuted-rows")
    assert rows["hx-get"] == "/bss/dashboard/unexecuted-orders"
    assert "every 5s" in rows["hx-trigger"]
    assert rows["hx-select"] == "#unexecuted-rows" and rows["hx-swap"] == "outerHTML"
    assert widget.has_attr("data-refresh-region")  # paused while focus is inside (JS)
    assert soup(page).find("script", src="/static/js/dashboard-refresh.js")
    manual = soup(page).find("table", id="manual-orders")
    order = manual_order(session)
    link = manual.find("a", string=order.number)
    assert link["href"] == f"/bss/orders/{order.id}"
    row_text = link.find_parent("tr").get_text(" ")
    assert "Acme Ltd" in row_text
    assert order.order_date.strftime("%d/%m/%Y") in row_text  # the user's date format
    assert "€" in row_text


def test_the_widget_url_is_a_fragment_for_htmx_and_a_page_without_it(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    fragment = client.get("/bss/dashboard/unexecuted-orders", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert soup(fragment).find("html") is None
    assert soup(fragment).find(id="unexecuted-orders") is not None
    full = client.get("/bss/dashboard/unexecuted-orders")
    assert soup(full).find("html") is not None
    assert manual_order(session).number in text_of(full)


def test_the_widget_says_so_when_everything_is_executed(client, demo, session):
    t = tenant(session)
    for row in dashboard.unexecuted_orders(session, t.id):
        orders.execute(session, t.id, row.id, user(session, "admin@skyline.example"))
    login(client, "operator@skyline.example", bss=True)
    fragment = client.get("/bss/dashboard/unexecuted-orders", headers={"HX-Request": "true"})
    assert texts.DASHBOARD_NO_UNEXECUTED in text_of(fragment)
    assert session.scalar(select(Order.id).where(Order.tenant_id == t.id)) is not None


def test_each_unexecuted_order_says_why_it_waits_and_for_how_long(session, demo):
    from datetime import timedelta

    from core.enums import HoldReason
    from core.models import OrderHold
    from core.rules.waiting import Waited

    t = tenant(session)
    order = manual_order(session)
    hold = session.scalar(
        select(OrderHold).where(OrderHold.order_id == order.id, OrderHold.released_at.is_(None))
    )
    assert hold.reason == HoldReason.MANUAL_EXECUTION
    session.add(
        OrderHold(
            order_id=order.id,
            reason=HoldReason.CREDIT_LIMIT,
            placed_at=hold.placed_at + timedelta(minutes=5),
        )
    )
    session.commit()
    now = hold.placed_at + timedelta(hours=3, minutes=20)
    row = next(r for r in dashboard.unexecuted_orders(session, t.id, now=now) if r.id == order.id)
    assert row.waiting_reasons == (HoldReason.MANUAL_EXECUTION, HoldReason.CREDIT_LIMIT)
    assert row.waited == Waited(3, "h")


def test_the_widget_shows_the_reasons_and_the_wait_in_words(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    order = manual_order(session)
    page = client.get("/bss/dashboard/unexecuted-orders", headers={"HX-Request": "true"})
    row = soup(page).find(id=f"unexecuted-{order.id}").get_text(" ")
    assert texts.WAIT_REASONS["manual_execution"] in row
    assert re.search(r"waiting \d+ (min|h|d)\b", row)
    assert texts.DASHBOARD_WAITING_COLUMN in text_of(page)


# --- several statuses: each read through its own index range, merged newest first (issue 19)


def _status_like(session, t, type_, storefront_type, description) -> OrderStatus:
    """A custom status of the given combination, as Setup > Order Status creates one."""
    with write_transaction(session):
        status = OrderStatus(
            tenant_id=t.id,
            number=50,
            description=description,
            type=type_,
            storefront_type=storefront_type,
        )
        session.add(status)
    return status


def _move(session, order_ids, status):
    with write_transaction(session):
        session.execute(update(Order).where(Order.id.in_(order_ids)).values(status_id=status.id))


def test_unexecuted_orders_merge_every_submitted_status_newest_first(session, demo):
    t = tenant(session)
    admin, acme = user(session, "admin@skyline.example"), manual_order(session).account_id
    for _ in range(3):
        orders.create_order(session, t.id, admin, account_id=acme)
    before = dashboard.unexecuted_orders(session, t.id)
    assert len(before) == 6
    call_back = _status_like(
        session, t, OrderStatusType.IN_PROGRESS, StorefrontType.VIEWABLE, "Submitted, call back"
    )
    _move(session, [r.id for r in before[1::2]], call_back)
    rows = dashboard.unexecuted_orders(session, t.id)
    assert [r.id for r in rows] == [r.id for r in before]  # the same orders, the same order
    assert {r.status.id for r in rows[1::2]} == {call_back.id}
    newest = dashboard.unexecuted_orders(session, t.id, limit=3)
    assert [r.id for r in newest] == [r.id for r in before[:3]]  # the limit spans statuses


def test_manual_management_merges_every_open_status_and_leaves_closed_ones_out(session, demo):
    t = tenant(session)
    before = dashboard.manual_management_orders(session, t.id)
    assert len(before) >= 2
    approval = _status_like(
        session,
        t,
        OrderStatusType.IN_PROGRESS,
        StorefrontType.PENDING_APPROVAL,
        "Waiting for the customer",
    )
    executed = StatusBook.load(session, t.id).executed()
    _move(session, [before[0].id], approval)  # still open: still listed, in its place
    _move(session, [before[-1].id], executed)  # closed: no longer listed
    rows = dashboard.manual_management_orders(session, t.id)
    assert [r.id for r in rows] == [r.id for r in before[:-1]]
    assert rows[0].status.id == approval.id
    assert [r.id for r in dashboard.manual_management_orders(session, t.id, limit=1)] == [
        before[0].id
    ]


def test_the_widgets_run_one_statement_each_however_many_statuses_and_open_orders(
    session, demo, count_queries
):
    t = tenant(session)
    book = StatusBook.load(session, t.id)

    def statements():
        with count_queries() as q:
            dashboard.unexecuted_orders(session, t.id, book=book)  # its rows with their holds
            dashboard.manual_management_orders(session, t.id, book=book)
        return len(q.statements)

    one_status = statements()
    for n in range(3):
        extra = _status_like(
            session, t, OrderStatusType.IN_PROGRESS, StorefrontType.VIEWABLE, f"Submitted {n}"
        )
        rows = dashboard.unexecuted_orders(session, t.id)
        _move(session, [r.id for r in rows[n::4]], extra)
    book = StatusBook.load(session, t.id)
    assert len(book.statuses) >= 11
    assert one_status == statements() == 2  # the holds come with the rows (issue 19)


def test_the_dashboard_reads_both_widgets_in_one_statement_as_each_reads_them_alone(
    session, demo, count_queries
):
    """Issue 19, fifth pass: the page's two widgets under one UNION ALL give each widget's
    own rows, in its own order, with its own limit, whatever the number of statuses."""
    from datetime import UTC, datetime

    t = tenant(session)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    admin, acme = user(session, "admin@skyline.example"), manual_order(session).account_id
    for _ in range(3):
        orders.create_order(session, t.id, admin, account_id=acme)

    def check(**limits):
        book = StatusBook.load(session, t.id)
        alone = (
            dashboard.unexecuted_orders(
                session, t.id, limits.get("unexecuted_limit", 100), book, now
            ),
            dashboard.manual_management_orders(session, t.id, limits.get("manual_limit", 50), book),
        )
        with count_queries() as q:
            both = dashboard.dashboard(session, t.id, book=book, now=now, **limits)
        assert len(q.statements) == 1
        assert (both.unexecuted, both.manual) == alone
        assert both.unexecuted and both.manual
        return both

    first = check()
    assert any(r.waiting_reasons for r in first.unexecuted)
    assert check(unexecuted_limit=2, manual_limit=1).manual == first.manual[:1]
    extra = _status_like(
        session, t, OrderStatusType.IN_PROGRESS, StorefrontType.VIEWABLE, "Submitted, again"
    )
    _move(session, [r.id for r in first.unexecuted[::2]], extra)
    _move(session, [r.id for r in first.manual[1::2]], extra)
    again = check()
    assert {r.status.id for r in again.unexecuted[::2]} == {extra.id}
    check(unexecuted_limit=3, manual_limit=2)


def test_each_row_shows_its_own_status_and_links_its_own_order(app, client, session, demo):
    t = tenant(session)
    before = dashboard.unexecuted_orders(session, t.id)
    call_back = _status_like(
        session, t, OrderStatusType.IN_PROGRESS, StorefrontType.VIEWABLE, "Submitted, call back"
    )
    _move(session, [before[0].id], call_back)
    login(client, "operator@skyline.example", bss=True)
    page = soup(client.get("/bss/dashboard/unexecuted-orders", headers={"HX-Request": "true"}))
    for row in before:
        cells = page.find(id=f"unexecuted-{row.id}").find_all("td")
        assert cells[0].a["href"] == f"/bss/orders/{row.id}"
        want = "Submitted, call back" if row.id == before[0].id else row.status.description
        assert cells[2].find(class_="status-badge").get_text(strip=True) == want
    from flask import url_for

    from bss_admin.orders_views import order_url

    with app.test_request_context("/bss/"):
        for order_id in (1, 42, 1234567):
            assert order_url(order_id) == url_for("bss_admin.order_detail", order_id=order_id)


def test_each_row_shows_its_own_waiting_reasons_and_wait(client, session, demo):
    """The badges of a set of reasons are rendered once per table (issue 19): rows with
    other reasons, or none, still show their own, each with its own wait."""
    from core.enums import HoldReason
    from core.models import OrderHold

    t = tenant(session)
    order = manual_order(session)
    with write_transaction(session):
        session.add(OrderHold(order_id=order.id, reason=HoldReason.CREDIT_LIMIT))
    rows = dashboard.unexecuted_orders(session, t.id)
    assert len({r.waiting_reasons for r in rows}) >= 2
    login(client, "operator@skyline.example", bss=True)
    page = soup(client.get("/bss/dashboard/unexecuted-orders", headers={"HX-Request": "true"}))
    for row in rows:
        cell = page.find(id=f"unexecuted-{row.id}").find(class_="waiting")
        badges = [b.get_text() for b in cell.find_all(class_="badge")]
        want = [texts.WAIT_REASONS.get(r, r) for r in row.waiting_reasons]
        assert badges == (want or [texts.WAIT_REASON_NONE])
        wait = cell.find(class_="muted")
        # (the page is read a moment after the rows: the wait in words, not its amount)
        assert (wait is not None) == bool(row.waited)
        if wait is not None:
            assert re.fullmatch(r"waiting \d+ (min|h|d)", wait.get_text())


def test_the_menu_follows_the_role_from_one_page_to_the_next(client, session, demo):
    """The menu's links are rendered once per role and kept (issue 19): a user whose role
    changes sees the new role's menu on the next page, and the name and sign-out stay theirs."""
    login(client, "operator@skyline.example", bss=True)

    def menu() -> list[str]:
        return [
            a["href"] for a in soup(client.get("/bss/orders")).select('nav[aria-label="BSS"] a')
        ]

    as_operator = menu()
    assert as_operator == menu()
    assert "/bss/setup/product-types" not in as_operator and "/bss/orders" in as_operator
    with write_transaction(session):
        user(session, "operator@skyline.example").role = "admin"
    as_admin = menu()
    assert "/bss/setup/product-types" in as_admin and "/bss/people" in as_admin
    assert "Olga Operator (Admin)" in text_of(client.get("/bss/orders"))


def test_both_tables_show_a_change_on_the_next_request(client, session, demo):
    """Each table's rows are rendered once per content and kept (issue 19, fifth pass): an
    account renamed, a hold placed, an order moved out of Submitted or a new order show on
    the very next poll and dashboard, never a table rendered before."""
    from core.enums import HoldReason
    from core.models import Account, OrderHold

    t = tenant(session)
    order = manual_order(session)
    login(client, "operator@skyline.example", bss=True)

    def widget():
        page = soup(client.get("/bss/dashboard/unexecuted-orders", headers={"HX-Request": "true"}))
        return {
            tr["id"]: [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in page.select("#unexecuted-rows tr")
        }

    def manual_rows():
        page = soup(client.get("/bss/"))
        return [td.get_text(" ", strip=True) for td in page.select("#manual-orders td")]

    row_id = f"unexecuted-{order.id}"
    before, manual_before = widget(), manual_rows()
    assert widget() == before and manual_rows() == manual_before  # kept: the same HTML
    with write_transaction(session):
        session.get(Account, order.account_id).name = "Renamed Customer Ltd"
        session.add(OrderHold(order_id=order.id, reason=HoldReason.CREDIT_LIMIT))
    after = widget()
    assert after[row_id][1] == "Renamed Customer Ltd" != before[row_id][1]
    assert texts.WAIT_REASONS[HoldReason.CREDIT_LIMIT] in after[row_id][3]
    assert "Renamed Customer Ltd" in manual_rows()
    admin = user(session, "admin@skyline.example")
    created = orders.create_order(session, t.id, admin, account_id=order.account_id)
    assert f"unexecuted-{created.id}" in widget()
    _move(session, [order.id], StatusBook.load(session, t.id).executed())
    assert row_id not in widget()


def test_the_distributors_widgets_never_list_back_orders_as_waiting(client, demo, session):
    """Tester: the distributor's Unexecuted Orders listed every back-order as "Not executed
    yet", while the Back-orders page says there is nothing to execute (it only sees them)."""
    from tests.test_backorders_service import backorders_in
    from tests.test_backorders_service import tenant as tenant_of

    backorders = backorders_in(session, "distributor")
    assert backorders  # the demo has some, in a Submitted status
    distributor = tenant_of(session, "distributor")
    numbers = {b.number for b in backorders}
    both = dashboard.dashboard(session, distributor.id)
    assert not numbers & {r.number for r in both.unexecuted + both.manual}
    assert not numbers & {r.number for r in dashboard.unexecuted_orders(session, distributor.id)}
    assert not numbers & {
        r.number for r in dashboard.manual_management_orders(session, distributor.id)
    }
    login(client, "admin@nimbus.example", bss=True)
    for url in ("/bss/", "/bss/dashboard/unexecuted-orders"):
        text = text_of(client.get(url))
        assert not [n for n in numbers if n in text], url
    listed = text_of(client.get("/bss/backorders"))
    assert all(n in listed for n in numbers)


def test_the_demos_waiting_orders_wait_since_they_were_placed(session, demo):
    # its holds were stamped when the demo was loaded: "waiting 0 min" for an order placed
    # three hours before
    from sqlalchemy import select

    from core.models import Order, OrderHold

    rows = session.execute(
        select(Order.number, Order.order_date, OrderHold.placed_at).join(
            OrderHold, OrderHold.order_id == Order.id
        )
    ).all()
    assert rows
    for number, ordered, placed in rows:
        assert placed <= ordered + timedelta(minutes=1), number
