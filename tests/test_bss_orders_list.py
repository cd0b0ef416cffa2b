"""The BSS orders list: filters, sorting by date, keyset pagination, tenant scoping."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core import texts
from core.db import utcnow, write_transaction
from core.models import Account, Order
from core.services import orders
from core.services.order_factory import ItemSpec, build_order
from core.services.orders import OrderFilters, decode_cursor, encode_cursor, list_orders
from core.services.statuses import StatusBook
from tests.conftest import login, soup, text_of
from tests.test_bss_support import manual_order, order_with, tenant


def _add_orders(session, count, *, account_name="Acme Ltd", start=None):
    t = tenant(session)
    account = session.scalar(
        select(Account).where(Account.tenant_id == t.id, Account.name == account_name)
    )
    start = start or utcnow() - timedelta(days=30)
    with write_transaction(session):
        book = StatusBook.load(session, t.id)
        made = [
            build_order(
                session,
                tenant_id=t.id,
                account=account,
                status=book.submitted(),
                items=[
                    ItemSpec(product_id=1, description="Thing", quantity=1, unit_price=Decimal("1"))
                ],
                source="bss",
                order_date=start + timedelta(minutes=n),
            )
            for n in range(count)
        ]
    return made


def test_the_list_shows_the_newest_orders_first_with_status_and_total(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    page = client.get("/bss/orders")
    assert page.status_code == 200
    numbers = [
        a.get_text(strip=True) for a in soup(page).select("#orders-table tbody td:first-child a")
    ]
    newest = manual_order(session).number
    assert numbers[0] == newest
    assert "Submitted" in text_of(page)
    assert soup(page).select(".status-badge .status-dot")


def test_filters_by_status_account_execution_type_and_text(client, demo, session):
    t = tenant(session)
    book = StatusBook.load(session, t.id)
    globex = session.scalar(select(Account).where(Account.name == "Globex Corp"))
    only = lambda **kw: {r.number for r in list_orders(session, t.id, OrderFilters(**kw)).rows}  # noqa: E731
    executed = only(status_id=book.executed().id)
    assert order_with(session, "M365-PREM").number in executed
    assert manual_order(session).number not in executed
    assert only(account_id=globex.id) == {
        o.number for o in session.scalars(select(Order).where(Order.account_id == globex.id))
    }
    manual = only(execution_type="manual")
    assert manual_order(session).number in manual
    assert order_with(session, "M365-PREM").number not in manual
    assert only(text="globex") == only(account_id=globex.id)
    assert only(text=manual_order(session).number.lower()) == {manual_order(session).number}


def test_the_date_range_is_inclusive_of_both_days(session, demo):
    t = tenant(session)
    noon = (utcnow() - timedelta(days=400)).replace(hour=12, minute=0)
    made = _add_orders(session, 3, start=noon)
    day = made[0].order_date.date()
    rows = list_orders(session, t.id, OrderFilters(date_from=day, date_to=day)).rows
    assert {r.number for r in rows} == {o.number for o in made}


def test_keyset_pages_cover_every_order_once_in_both_directions(session, demo):
    t = tenant(session)
    _add_orders(session, 23)
    every = {o.number for o in session.scalars(select(Order).where(Order.tenant_id == t.id))}
    for oldest_first in (False, True):
        seen, cursor = [], None
        while True:
            page = list_orders(
                session, t.id, OrderFilters(after=cursor, oldest_first=oldest_first), page_size=10
            )
            seen += page.rows
            cursor = page.next_cursor
            if not cursor:
                break
        assert len(seen) == len(every)
        assert {r.number for r in seen} == every
        dates = [(r.order_date, r.id) for r in seen]
        assert dates == sorted(dates, reverse=not oldest_first)


def test_a_tampered_cursor_is_ignored(session, demo):
    t = tenant(session)
    assert decode_cursor("not-a-cursor!") is None
    page = list_orders(session, t.id, OrderFilters(after="garbage"))
    assert page.rows
    when = utcnow()
    assert decode_cursor(encode_cursor(when, 7)) == (when, 7)


def test_the_next_page_link_works_without_javascript_and_as_an_htmx_fragment(client, demo, session):
    _add_orders(session, 60)
    login(client, "operator@skyline.example", bss=True)
    first = client.get("/bss/orders?q=acme")
    link = soup(first).find("a", string="Next page")
    assert link is not None
    second = client.get(link["href"])
    assert second.status_code == 200
    assert soup(second).find("a", string="First page") is not None
    fragment = client.get(link["href"], headers={"HX-Request": "true"})
    assert soup(fragment).find("h1") is None
    assert soup(fragment).find(id="orders-table") is not None
    first_numbers = {a.get_text() for a in soup(first).select("#orders-table tbody a")}
    second_numbers = {a.get_text() for a in soup(second).select("#orders-table tbody a")}
    assert first_numbers and second_numbers and not first_numbers & second_numbers


def test_the_list_never_shows_another_tenants_orders(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    page = client.get("/bss/orders")
    assert manual_order(session).number not in text_of(page)
    distributor = tenant(session, "distributor").id
    rows = orders.list_orders(session, distributor, OrderFilters()).rows
    assert all(session.get(Order, r.id).tenant_id == distributor for r in rows)


def test_the_number_search_finds_an_order_and_its_sub_orders_however_it_is_typed(session, demo):
    t = tenant(session)
    partly = order_with(session, "MNG-FW")  # has sub-order <number>-1
    expected = {partly.number, partly.number + "-1"}
    short = str(int(partly.number[2:]))
    # as shown, lower case, the number alone, and "so" with the number unpadded (README)
    for typed in (partly.number, partly.number.lower(), short, "so" + short, "SO" + short):
        rows = list_orders(session, t.id, OrderFilters(text=typed)).rows
        assert {r.number for r in rows} == expected, typed
    assert list_orders(session, t.id, OrderFilters(text="no such thing")).rows == []


def test_the_default_view_shows_no_validation_message(client, demo):
    """Opening /bss/orders with no query string is not an invalid filter."""
    login(client, "operator@skyline.example", bss=True)
    page = client.get("/bss/orders")
    assert page.status_code == 200
    assert "Not a valid choice" not in page.get_data(as_text=True)
    assert not soup(page).select(".filters .error, .filters [aria-invalid=true]")


def test_the_filter_form_shows_each_requests_own_values_and_current_statuses(client, demo, session):
    """The form is rendered once per shape (issue 19): another query string, an invalid
    date or a renamed status is another shape, never a copy of an earlier form."""
    login(client, "operator@skyline.example", bss=True)
    t = tenant(session)
    submitted = StatusBook.load(session, t.id).submitted()

    def form_of(query):
        page = soup(client.get("/bss/orders" + query))
        return page.select_one("form.filters")

    plain = form_of("")
    assert form_of("") == plain  # the same shape: the same HTML
    cursor = encode_cursor(utcnow(), 1)
    assert form_of(f"?after={cursor}") == plain  # the page's cursor is not on the form
    chosen = form_of(f"?status={submitted.id}&q=globex&sort=oldest")
    assert chosen.select_one("#status option[selected]")["value"] == str(submitted.id)
    assert chosen.select_one("#q")["value"] == "globex"
    assert chosen.select_one("#sort option[selected]")["value"] == "oldest"
    assert not plain.select(f"#status option[selected][value='{submitted.id}']")
    assert form_of("?date_from=not-a-date").select_one("#date_from[aria-invalid=true]")
    assert not form_of("").select("[aria-invalid=true]")
    with write_transaction(session):
        session.get(type(submitted), submitted.id).description = "Submitted (renamed)"
    options = [o.get_text() for o in form_of("").select("#status option")]
    assert "Submitted (renamed)" in options


def test_a_row_shows_its_orders_changes_and_the_viewers_zone_at_once(client, demo, session):
    """Rows are rendered once per content and kept (issue 19): an order's new total, a
    renamed status or the viewer's new time zone shows on the next page, never a row
    rendered before."""
    from core.models import OrderStatus
    from tests.test_bss_support import user

    order = manual_order(session)
    login(client, "operator@skyline.example", bss=True)

    def cells() -> list[str]:
        page = soup(client.get("/bss/orders"))
        link = page.find("a", href=f"/bss/orders/{order.id}")
        return [td.get_text(" ", strip=True) for td in link.find_parent("tr").find_all("td")]

    before = cells()
    assert cells() == before
    with write_transaction(session):
        changed = session.get(Order, order.id)
        changed.total = changed.total + 1
        session.get(OrderStatus, changed.status_id).description = "Submitted (renamed)"
        user(session, "operator@skyline.example").timezone = "Pacific/Kiritimati"  # UTC+14
    after = cells()
    assert after[3] == "Submitted (renamed)" != before[3]
    assert after[5] != before[5]  # the date and time in the viewer's new zone
    assert after[6] != before[6]  # the new total
    assert after[:3] == before[:3]


def test_a_from_date_after_the_to_date_says_so_on_the_from_field(client, demo):
    """Tester: From after To showed "No orders match" with no word of why."""
    login(client, "operator@skyline.example", bss=True)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(
            "/bss/orders?date_from=2026-12-03&date_to=2026-12-01", headers=headers
        )
        assert response.status_code == 200
        errors = soup(response).find(id="date_from-errors")
        assert errors is not None, headers
        assert texts.FILTER_DATES_INVERTED in errors.get_text(" ", strip=True)
        assert soup(response).find(id="date_from")["aria-invalid"] == "true"
        assert soup(response).find(id="date_to-errors") is None


def test_an_invalid_date_is_not_silently_ignored(client, demo):
    login(client, "operator@skyline.example", bss=True)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/bss/orders?date_from=2026-13-01", headers=headers)
        assert response.status_code == 200
        errors = soup(response).find(id="date_from-errors")
        assert errors is not None, headers
        assert errors.get_text(" ", strip=True) == texts.FILTER_DATE_INVALID
    # a valid range, and the default view, show no message
    for url in ("/bss/orders", "/bss/orders?date_from=2026-12-01&date_to=2026-12-01"):
        page = soup(client.get(url, headers={"HX-Request": "true"}))
        assert page.find(class_="field-errors") is None


def test_the_filter_date_rule():
    from datetime import date

    from core.rules.date_filters import read_date_range

    assert read_date_range("", None).errors == {}
    assert read_date_range("2026-12-01", "2026-12-01").date_from == date(2026, 12, 1)
    inverted = read_date_range("2026-12-03", "2026-12-01")
    assert inverted.errors == {"date_from": [texts.FILTER_DATES_INVERTED]}
    assert (inverted.date_from, inverted.date_to) == (date(2026, 12, 3), date(2026, 12, 1))
    invalid = read_date_range("2026-13-01", "2026-12-01")
    assert invalid.errors == {"date_from": [texts.FILTER_DATE_INVALID]}
    assert (invalid.date_from, invalid.date_to) == (None, date(2026, 12, 1))
