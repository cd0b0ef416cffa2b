"""What a distributor reads about its back-orders (issue 13, point 6, seed 003): Billing To, the
price list and the sharing rule on the page and the print-out; the footer names the signed-in
user's tenant; the list filters by tenant reseller, account and date, pages with a keyset
cursor, and says what to do with a back-order. Both engines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import texts
from core.enums import AccountKind
from core.models import Account, ApiOptions, Order, PriceList
from core.services import backorder_listing
from core.services.backorder_listing import BackorderFilters
from tests.conftest import executed, login, soup, sqlite_plan, text_of
from tests.test_backorders_service import backorders_in, tenant


def _facts_of(session, backorder: Order) -> tuple[str, str]:
    billing = session.get(Account, backorder.billing_account_id)
    price_list = session.get(PriceList, backorder.price_list_id)
    return billing.name, price_list.name


def test_the_backorder_page_shows_billing_to_price_list_and_sharing_rule(client, demo, session):
    backorder = backorders_in(session, "distributor")[0]
    billing, price_list = _facts_of(session, backorder)
    assert billing == "Skyline Cloud"
    assert session.get(Account, backorder.billing_account_id).kind == AccountKind.TENANT_RESELLER
    login(client, "admin@nimbus.example", bss=True)
    page = client.get(f"/bss/orders/{backorder.id}")
    details = soup(page).find(id="backorder-details").get_text(" ")
    assert f"{texts.BACKORDER_BILLING_TO} {billing}" in " ".join(details.split())
    assert f"{texts.BACKORDER_PRICE_LIST} {price_list}" in " ".join(details.split())
    assert f"{texts.BACKORDER_SHARING_RULE} Team" in " ".join(details.split())  # demo: "team"


def test_the_backorder_print_out_shows_the_same_fields(client, demo, session):
    backorder = backorders_in(session, "distributor")[0]
    billing, price_list = _facts_of(session, backorder)
    options = session.scalar(select(ApiOptions).where(ApiOptions.tenant_id == backorder.tenant_id))
    options.sharing_rule = "public"
    session.commit()
    login(client, "admin@nimbus.example", bss=True)
    printed = client.get(f"/bss/orders/{backorder.id}/print")
    details = " ".join(soup(printed).find(id="backorder-details").get_text(" ").split())
    assert billing in details and price_list in details
    assert "Team" in details  # the rule the back-order was given when it was created
    assert texts.BACKORDER_RIBBON.format(reseller="Skyline Cloud") in text_of(printed)


def test_an_ordinary_order_has_no_backorder_fields(client, demo, session):
    order = session.scalar(
        select(Order).where(Order.tenant_id == tenant(session, "reseller").id).limit(1)
    )
    login(client, "admin@skyline.example", bss=True)
    assert soup(client.get(f"/bss/orders/{order.id}")).find(id="backorder-details") is None
    assert soup(client.get(f"/bss/orders/{order.id}/print")).find(id="backorder-details") is None


def test_the_bss_footer_names_the_signed_in_users_tenant_not_the_hosts(client, demo, session):
    # localhost is Skyline Cloud's host name; the distributor's user signs in there
    login(client, "admin@nimbus.example", bss=True)
    distributor = tenant(session, "distributor").name
    for path in ("/bss/", "/bss/backorders", "/bss/setup/api-options"):
        footer = soup(client.get(path)).find("footer").get_text(" ")
        assert distributor in footer, path
        assert "Skyline" not in footer, path
    backorder = backorders_in(session, "distributor")[0]
    footer = soup(client.get(f"/bss/orders/{backorder.id}/print")).find("footer").get_text(" ")
    assert distributor in footer


def test_the_list_says_what_the_distributor_is_expected_to_do(client, demo):
    login(client, "admin@nimbus.example", bss=True)
    page = client.get("/bss/backorders")
    assert texts.BACKORDERS_WHAT_TO_DO in text_of(page)


def _numbers(response) -> list[str]:
    table = soup(response).find(id="backorders")
    return [a.get_text() for a in table.select("tbody a")]


def test_the_list_filters_by_tenant_reseller_account_and_date(client, demo, session):
    distributor = tenant(session, "distributor")
    all_backorders = backorders_in(session, "distributor")
    assert len(all_backorders) >= 2
    skyline = all_backorders[0].billing_account_id
    other = Account(
        tenant_id=distributor.id, name="Stratus Hosting", kind=AccountKind.TENANT_RESELLER
    )
    session.add(other)
    session.commit()
    login(client, "admin@nimbus.example", bss=True)
    page = client.get("/bss/backorders")
    options = [o.get_text() for o in soup(page).select("select[name=reseller] option")]
    assert options == ["Any", "Skyline Cloud", "Stratus Hosting"]
    by_skyline = client.get(f"/bss/backorders?reseller={skyline}")
    assert sorted(_numbers(by_skyline)) == sorted(b.number for b in all_backorders)
    by_other = client.get(f"/bss/backorders?reseller={other.id}")
    assert _numbers(by_other) == []
    assert texts.BACKORDERS_FILTERED_NONE in text_of(by_other)
    one = all_backorders[0]
    by_account = client.get(f"/bss/backorders?account={one.account_id}")
    expected = [b.number for b in all_backorders if b.account_id == one.account_id]
    assert sorted(_numbers(by_account)) == sorted(expected)
    day = one.order_date.date()
    on_the_day = client.get(f"/bss/backorders?date_from={day}&date_to={day}")
    assert one.number in _numbers(on_the_day)
    after = client.get(f"/bss/backorders?date_from={day + timedelta(days=2)}")
    assert _numbers(after) == []
    # the htmx answer is the table alone
    fragment = client.get(f"/bss/backorders?reseller={skyline}", headers={"HX-Request": "true"})
    assert soup(fragment).find("html") is None and soup(fragment).find(id="backorders")


def test_bad_filter_values_are_ignored_never_a_500(client, demo):
    login(client, "admin@nimbus.example", bss=True)
    for query in ("reseller=abc", "account=-1", "date_from=yesterday", "after=%%%", "after=Zm9v"):
        response = client.get(f"/bss/backorders?{query}")
        assert response.status_code == 200, query


def test_keyset_pages_cover_every_backorder_once_newest_first(session, demo):
    distributor = tenant(session, "distributor")
    expected = sorted(
        backorders_in(session, "distributor"), key=lambda o: (o.order_date, o.id), reverse=True
    )
    seen: list[int] = []
    after = None
    for _ in range(len(expected) + 1):
        page = backorder_listing.list_backorders(
            session, distributor.id, BackorderFilters(after=after), page_size=1
        )
        seen += [row.order.id for row in page.rows]
        after = page.next_cursor
        if after is None:
            break
    assert seen == [o.id for o in expected]


def test_the_list_reads_only_back_orders_through_their_own_index(client, demo, session):
    """Issue 19, eleventh pass: the list filtered the tenant's orders by their source, so it
    read every order of the tenant to find the back-orders among them (PostgreSQL: a parallel
    scan of 200,000 orders, 26 ms for a page, growing with the history). A partial index holds
    the back-orders alone, newest first by tenant: a page reads its own rows."""
    from sqlalchemy import inspect

    from webapp.extensions import db

    names = {i["name"] for i in inspect(session.get_bind()).get_indexes("order")}
    assert "ix_order_backorder_date" in names
    login(client, "admin@nimbus.example", bss=True)
    with executed(db.engine, lambda s: 'FROM "order"' in s and "'backorder'" in s) as sent:
        assert client.get("/bss/backorders").status_code == 200
    assert len(sent) == 1
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by the table's statistics; SQLite's is fixed
    statement, parameters = sent[0]
    plan = sqlite_plan(db.engine, statement, parameters)
    assert "ix_order_backorder_date" in plan, plan


def test_the_date_filters_say_what_is_wrong_with_them(client, demo):
    """Like the orders list (core.rules.date_filters): an invalid date or a From after the To
    is said on its field, on the page and in the htmx answer (the list was silent)."""
    login(client, "admin@nimbus.example", bss=True)
    for headers in ({}, {"HX-Request": "true"}):
        invalid = soup(client.get("/bss/backorders?date_from=2026-13-01", headers=headers))
        errors = invalid.find(id="date_from-errors")
        assert errors is not None, headers
        assert errors.get_text(" ", strip=True) == texts.FILTER_DATE_INVALID
        inverted = soup(
            client.get("/bss/backorders?date_from=2026-12-03&date_to=2026-12-01", headers=headers)
        )
        errors = inverted.find(id="date_from-errors")
        assert errors is not None and texts.FILTER_DATES_INVERTED in errors.get_text(" ")
        assert inverted.find(id="date_from")["aria-invalid"] == "true"
        assert inverted.find(id="date_to-errors") is None
        fine = soup(client.get("/bss/backorders?date_from=2026-12-01", headers=headers))
        assert fine.find(class_="field-errors") is None
