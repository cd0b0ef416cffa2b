"""Price lists and the bulk price edit (issue 15, parts C and E), through the web on both
engines: created, renamed, re-currencied; a table of prices saved at once, or refused row by row
with nothing saved; a changed price never rewrites an existing order."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.models import (
    Account,
    AuditEntry,
    OrderItem,
    PlanPrice,
    PriceList,
    Product,
    Tenant,
)
from core.rules.catalogue import PriceInvalid, parse_price, parse_prices, validate_price_list
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for


@pytest.fixture
def admin(app, demo):
    client = client_for(app)
    login(client, "admin@skyline.example", bss=True)
    return client


def _tenant_id(session) -> int:
    return session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))


def _standard(session) -> PriceList:
    session.rollback()  # a new snapshot: see what the requests wrote
    return session.scalar(
        select(PriceList).where(
            PriceList.tenant_id == _tenant_id(session), PriceList.name == "Standard"
        )
    )


def _product(session, code) -> Product:
    return session.scalar(
        select(Product).where(Product.tenant_id == _tenant_id(session), Product.code == code)
    )


def _price(session, plan_id, price_list_id):
    session.rollback()
    return session.scalar(
        select(PlanPrice.price).where(
            PlanPrice.plan_id == plan_id, PlanPrice.price_list_id == price_list_id
        )
    )


# --- rules ---------------------------------------------------------------------------------


def test_a_typed_price_is_a_plain_decimal_of_two_places_or_empty():
    assert parse_price(" 12.5 ") == Decimal("12.50")
    assert parse_price("0") == Decimal("0.00")
    assert parse_price("") is None
    for bad in ("-1", "1e3", "12.345", "abc", "１２", "NaN", "1,5"):
        with pytest.raises(PriceInvalid):
            parse_price(bad)
    with pytest.raises(PriceInvalid, match="too large"):
        parse_price("1000000000000")
    values, errors = parse_prices({"plan-1": "3", "plan-2": "x", "addon-3": ""})
    assert values == {"plan-1": Decimal("3.00"), "addon-3": None}
    assert errors == {"plan-2": texts.PRICE_INVALID}


def test_a_price_list_needs_a_unique_name_and_an_iso_currency():
    assert validate_price_list("Partner 2027", "USD", ["Standard"]) == {}
    assert validate_price_list("", "usd", []) == {
        "name": [texts.PRICE_LIST_NAME_REQUIRED],
        "currency": [texts.PRICE_LIST_CURRENCY_INVALID],
    }
    assert validate_price_list("standard", "EUR", ["Standard"]) == {
        "name": [texts.PRICE_LIST_NAME_TAKEN]
    }
    for made_up in ("NAN", "XYZ"):
        assert validate_price_list("X", made_up, [], {"EUR", "USD"}) == {
            "currency": [texts.PRICE_LIST_CURRENCY_INVALID]
        }


def test_a_currency_that_is_not_iso_4217_is_refused_and_nothing_saved(admin, session):
    for made_up in ("NaN", "XYZ", "abc", "XXX"):
        refused = admin.post(
            "/bss/catalogue/price-lists/new", data={"name": f"Odd {made_up}", "currency": made_up}
        )
        assert refused.status_code == 422
        assert texts.PRICE_LIST_CURRENCY_INVALID in text_of(refused)
    session.rollback()
    assert session.scalar(select(func.count()).where(PriceList.name.like("Odd %"))) == 0


def test_the_default_price_list_is_set_in_the_form_and_moves(admin, session):
    tenant_id = _tenant_id(session)
    created = admin.post(
        "/bss/catalogue/price-lists/new",
        data={"name": "Retail", "currency": "EUR", "is_default": "y"},
    )
    assert created.status_code == 303
    session.rollback()
    defaults = session.scalars(
        select(PriceList.name).where(PriceList.tenant_id == tenant_id, PriceList.is_default)
    ).all()
    assert defaults == ["Retail"]  # moved from Standard: exactly one
    retail = session.scalar(select(PriceList).where(PriceList.name == "Retail"))
    assert "Default for visitors and new accounts" in text_of(
        admin.get("/bss/catalogue/price-lists")
    )
    # unticking the default itself is refused: another list must become it
    refused = admin.post(
        f"/bss/catalogue/price-lists/{retail.id}", data={"name": "Retail", "currency": "EUR"}
    )
    assert refused.status_code == 422
    assert texts.PRICE_LIST_DEFAULT_REQUIRED in text_of(refused)
    standard = _standard(session)
    moved = admin.post(
        f"/bss/catalogue/price-lists/{standard.id}",
        data={"name": "Standard", "currency": "EUR", "is_default": "y"},
    )
    assert moved.status_code == 303
    session.rollback()
    assert session.get(PriceList, standard.id).is_default
    assert not session.get(PriceList, retail.id).is_default


# --- price lists ---------------------------------------------------------------------------


def test_an_admin_creates_renames_and_changes_the_currency_of_a_price_list(admin, session):
    response = admin.post(
        "/bss/catalogue/price-lists/new", data={"name": "Enterprise", "currency": "usd"}
    )
    assert response.status_code == 303
    session.rollback()
    created = session.scalar(select(PriceList).where(PriceList.name == "Enterprise"))
    assert created.currency == "USD" and created.tenant_id == _tenant_id(session)
    response = admin.post(
        f"/bss/catalogue/price-lists/{created.id}",
        data={"name": "Enterprise 2027", "currency": "GBP"},
    )
    assert response.status_code == 303
    page = text_of(admin.get(f"/bss/catalogue/price-lists/{created.id}"))
    assert "Enterprise → Enterprise 2027" in page and "USD → GBP" in page
    refused = admin.post(
        f"/bss/catalogue/price-lists/{created.id}", data={"name": "standard", "currency": "€"}
    )
    assert refused.status_code == 422
    assert texts.PRICE_LIST_NAME_TAKEN in text_of(refused)
    assert texts.PRICE_LIST_CURRENCY_INVALID in text_of(refused)
    session.rollback()
    assert session.get(PriceList, created.id).name == "Enterprise 2027"


# --- bulk price edit -------------------------------------------------------------------------


def test_the_bulk_edit_saves_every_changed_price_at_once_and_audits_it(admin, session):
    standard = _standard(session)
    m365 = _product(session, "M365-STD")
    monthly, annual = m365.plans[0], m365.plans[1]
    storage = m365.addons[0]
    url = f"/bss/catalogue/price-lists/{standard.id}/prices?q=m365-std"
    page = soup(admin.get(url))
    assert page.find("input", attrs={"name": f"plan-{monthly.id}"})["value"] == "11.70"
    data = {f"plan-{monthly.id}": "12.90", f"plan-{annual.id}": "", f"addon-{storage.id}": "2.40"}
    response = admin.post(url, data=data)
    assert response.status_code == 303 and response.headers["Location"] == url
    assert _price(session, monthly.id, standard.id) == Decimal("12.90")
    assert _price(session, annual.id, standard.id) is None  # emptied: not sold in this list
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "price_list", AuditEntry.action == "prices")
    )
    changes = json.loads(entry.detail)["changes"]
    assert changes[f"plan-{monthly.id}"] == ["11.70", "12.90"]
    assert changes[f"plan-{annual.id}"] == ["126.00", None]
    # the same table saved again (a double click, a retry) changes nothing more
    admin.post(url, data=data)
    session.rollback()
    assert (
        session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "price_list"))
        == 1
    )
    assert texts.PRICES_UNCHANGED in text_of(admin.get(url))


def test_a_table_with_a_bad_price_is_refused_per_row_and_nothing_is_half_saved(admin, session):
    standard = _standard(session)
    m365 = _product(session, "M365-STD")
    monthly, annual = m365.plans[0], m365.plans[1]
    url = f"/bss/catalogue/price-lists/{standard.id}/prices?q=m365-std"
    response = admin.post(
        url,
        data={
            f"plan-{monthly.id}": "13.00",  # valid, but the table is refused: not saved
            f"plan-{annual.id}": "-5",
            "plan-987654": "1.00",
        },
    )
    assert response.status_code == 422
    page = soup(response)
    assert texts.PRICE_INVALID in page.find(id=f"plan-{annual.id}-errors").get_text()
    assert page.find("input", attrs={"name": f"plan-{annual.id}"})["value"] == "-5"  # as typed
    assert page.find("input", attrs={"name": f"plan-{monthly.id}"})["value"] == "13.00"
    assert texts.PRICES_REFUSED.format(count=2) in page.get_text()
    assert _price(session, monthly.id, standard.id) == Decimal("11.70")
    assert _price(session, annual.id, standard.id) == Decimal("126.00")
    assert (
        session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "price_list"))
        == 0
    )


def test_a_price_change_never_rewrites_an_existing_order(admin, session):
    """Orders keep the unit prices they were made with (PRODUCT.md section 11)."""
    acme = session.scalar(select(Account).where(Account.name == "Acme Ltd"))
    item = session.scalar(
        select(OrderItem)
        .where(
            OrderItem.plan_id.is_not(None),
            OrderItem.product_id.in_(
                select(Product.id).where(Product.tenant_id == _tenant_id(session))
            ),
        )
        .order_by(OrderItem.id)
        .limit(1)
    )
    assert acme.price_list_id is not None
    price_list_id = acme.price_list_id
    before = (item.order_id, item.unit_price, item.order.total)
    url = f"/bss/catalogue/price-lists/{price_list_id}/prices?q={item.product.code}"
    new_price = (item.unit_price + Decimal("100.00")).quantize(Decimal("0.01"))
    response = admin.post(url, data={f"plan-{item.plan_id}": str(new_price)})
    assert response.status_code == 303
    assert _price(session, item.plan_id, price_list_id) == new_price
    session.rollback()
    item = session.get(OrderItem, item.id)
    assert (item.order_id, item.unit_price, item.order.total) == before
    order_page = text_of(admin.get(f"/bss/orders/{item.order_id}"))
    assert f"{new_price:,.2f}" not in order_page


def test_the_price_table_pages_through_products_by_keyset(admin, session):
    standard = _standard(session)
    url = f"/bss/catalogue/price-lists/{standard.id}/prices"
    page = soup(admin.get(url))
    assert page.find(id="prices-table") is not None
    assert admin.get(url + "?after=junk&q=%25").status_code == 200
    assert admin.get("/bss/catalogue/price-lists/987654/prices").status_code == 404


def test_an_empty_tenants_first_price_list_becomes_its_default(app, session):
    from core.services.price_lists import save_price_list
    from core.services.tenants import create_tenant

    tenant = create_tenant(session, name="Fresh", slug="fresh", host="fresh.test")
    session.commit()
    retail = save_price_list(session, tenant.id, None, name="Retail", currency="EUR")
    assert retail.is_default
    other = save_price_list(session, tenant.id, None, name="Partner", currency="EUR")
    assert not other.is_default and retail.is_default
