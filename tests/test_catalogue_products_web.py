"""Catalogue back office, products (issue 15, part A), through the web on both engines: the
admin lists, creates, edits and retires products; the Storefront follows; history stays."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, insert, select

from core import texts
from core.models import (
    AuditEntry,
    Basket,
    BasketItem,
    Order,
    OrderItem,
    OrderStatus,
    PriceList,
    Product,
    ProductType,
    Subscription,
    Tenant,
    User,
)
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for


@pytest.fixture
def admin(app, demo):
    client = client_for(app)
    login(client, "admin@skyline.example", bss=True)
    return client


@pytest.fixture
def alice(app, demo):
    client = client_for(app)
    login(client, "alice@acme.example")
    return client


def _tenant_id(session) -> int:
    return session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))


def _type_id(session, name="Cloud Services") -> int:
    return session.scalar(
        select(ProductType.id).where(
            ProductType.tenant_id == _tenant_id(session), ProductType.name == name
        )
    )


def _product(session, code) -> Product | None:
    session.rollback()  # a new snapshot: see what the requests wrote
    return session.scalar(
        select(Product).where(Product.tenant_id == _tenant_id(session), Product.code == code)
    )


def _form(session, **values) -> dict:
    data = {
        "code": "BK-VAULT",
        "name": "Backup Vault",
        "description": "Immutable copies of your backups.",
        "product_type_id": str(_type_id(session)),
        "billing_kind": "recurring",
        "published": "y",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def _audit(session, product_id) -> list[AuditEntry]:
    session.rollback()  # a new snapshot: see what the requests wrote
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "product", AuditEntry.entity_id == product_id)
            .order_by(AuditEntry.id)
        )
    )


def _catalogue_names(client, query: str = "") -> list[str]:
    page = soup(client.get("/" + query))
    return [h.get_text(strip=True) for h in page.select("li.product-card h2")]


def test_an_admin_creates_a_product_that_visitors_then_see_and_the_audit_trail_records(
    admin, app, session
):
    response = admin.post("/bss/catalogue/products/new", data=_form(session))
    assert response.status_code == 303
    product = _product(session, "BK-VAULT")
    assert response.headers["Location"] == f"/bss/catalogue/products/{product.id}"
    assert (product.name, product.billing_kind, product.published, product.active) == (
        "Backup Vault",
        "recurring",
        True,
        True,
    )
    [entry] = _audit(session, product.id)
    assert entry.action == "create" and "admin@skyline.example" in entry.actor_label
    assert json.loads(entry.detail)["changes"]["name"] == [None, "Backup Vault"]
    # without a plan it cannot be bought, so the Storefront does not list it yet
    visitor = client_for(app)
    assert "Backup Vault" not in _catalogue_names(visitor)
    standard = session.scalar(
        select(PriceList.id).where(
            PriceList.tenant_id == _tenant_id(session), PriceList.name == "Standard"
        )
    )
    added = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/new",
        data={
            "name": "Monthly",
            "billing_cycle": "monthly",
            "commitment_months": "0",
            "min_quantity": "1",
            "max_quantity": "5",
            f"price-{standard}": "4.00",
        },
    )
    assert added.status_code == 303
    assert "Backup Vault" in _catalogue_names(visitor)
    assert visitor.get(f"/products/{product.id}").status_code == 200


def test_a_refused_product_says_what_is_wrong_per_field_and_changes_nothing(admin, session):
    before = session.scalar(select(func.count(Product.id)))
    response = admin.post(
        "/bss/catalogue/products/new",
        data=_form(session, code="m365-std", name="", product_type_id="987654"),
    )
    assert response.status_code == 422
    page = soup(response)
    assert texts.CATALOGUE_CODE_TAKEN in page.find(id="code-errors").get_text()
    assert texts.CATALOGUE_NAME_REQUIRED in page.find(id="name-errors").get_text()
    assert texts.CATALOGUE_PRODUCT_TYPE_INVALID in page.find(id="product_type_id-errors").get_text()
    assert page.find("input", attrs={"name": "code"})["value"] == "m365-std"  # kept as typed
    session.rollback()  # a new snapshot: see what the requests wrote
    assert session.scalar(select(func.count(Product.id))) == before
    assert (
        session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "product")) == 0
    )


def test_htmx_gets_only_the_form_back_when_refused(admin, session):
    response = admin.post(
        "/bss/catalogue/products/new", data=_form(session, code=""), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="product-form"' in html and "<html" not in html


def test_an_edit_is_audited_as_before_and_after_and_shown_in_the_products_history(admin, session):
    product = _product(session, "AZ-BACKUP")
    response = admin.post(
        f"/bss/catalogue/products/{product.id}",
        data=_form(session, code="AZ-BACKUP", name="Azure Backup Plus", published=None),
    )
    assert response.status_code == 303
    product = _product(session, "AZ-BACKUP")
    assert product.name == "Azure Backup Plus" and product.published is False
    [entry] = _audit(session, product.id)
    changes = json.loads(entry.detail)["changes"]
    assert changes["name"] == ["Azure Backup", "Azure Backup Plus"]
    assert changes["published"] == [True, False]
    page = text_of(admin.get(f"/bss/catalogue/products/{product.id}"))
    assert "Azure Backup → Azure Backup Plus" in page
    # saving it again unchanged records nothing
    admin.post(
        f"/bss/catalogue/products/{product.id}",
        data=_form(session, code="AZ-BACKUP", name="Azure Backup Plus", published=None),
    )
    assert len(_audit(session, product.id)) == 1


def test_an_unpublished_product_leaves_the_storefront_but_stays_in_the_bss(admin, alice, session):
    product = _product(session, "AZ-BACKUP")
    admin.post(
        f"/bss/catalogue/products/{product.id}",
        data=_form(session, code="AZ-BACKUP", name="Azure Backup", published=None),
    )
    assert "Azure Backup" not in _catalogue_names(alice)
    assert alice.get(f"/products/{product.id}").status_code == 404
    listed = text_of(admin.get("/bss/catalogue/products?status=unpublished"))
    assert "AZ-BACKUP" in listed and "M365-STD" not in listed


def test_a_retired_product_leaves_the_storefront_and_every_existing_record_keeps_it(
    admin, alice, session
):
    product = _product(session, "M365-STD")
    tenant_id = _tenant_id(session)
    subscription = session.scalar(
        select(Subscription).where(Subscription.product_id == product.id).limit(1)
    )
    assert subscription is not None
    item = session.scalar(select(OrderItem).where(OrderItem.product_id == product.id).limit(1))
    order_id, description = item.order_id, item.description

    response = admin.post(f"/bss/catalogue/products/{product.id}/retire")
    assert response.status_code == 303
    again = admin.post(f"/bss/catalogue/products/{product.id}/retire")  # a second click
    assert again.status_code == 303
    assert _product(session, "M365-STD").active is False
    assert [e.action for e in _audit(session, product.id)] == ["retire"]

    assert "Microsoft 365 Business Standard" not in _catalogue_names(alice)
    assert alice.get(f"/products/{product.id}").status_code == 404
    # the BSS no longer offers it for new orders, but the order, its subscription and the
    # product page keep it with its name
    order_page = admin.get(f"/bss/orders/{order_id}")
    assert order_page.status_code == 200 and description in text_of(order_page)
    assert texts.CATALOGUE_PRODUCT_IS_RETIRED in text_of(
        admin.get(f"/bss/catalogue/products/{product.id}")
    )
    # Acme's subscription of it (demo) is still listed, with the product's name
    subscriptions = soup(alice.get("/subscriptions"))
    assert "Microsoft 365 Business Standard" in subscriptions.get_text(" ")
    assert (
        session.scalar(
            select(func.count(Subscription.id)).where(
                Subscription.product_id == product.id, Subscription.tenant_id == tenant_id
            )
        )
        == 2
    )


def test_a_basket_holding_a_retired_product_says_so_and_cannot_be_checked_out(
    admin, alice, session
):
    from core.services import basket as basket_service

    user = session.scalar(select(User).where(User.email == "alice@acme.example"))
    product = _product(session, "AZ-BACKUP")
    basket_service.add_product(session, user.tenant_id, user, product.id, product.plans[0].id, 1)
    admin.post(f"/bss/catalogue/products/{product.id}/retire")

    page = alice.get("/basket")
    assert texts.BASKET_PRODUCT_UNAVAILABLE in text_of(page)
    assert texts.BASKET_HAS_UNAVAILABLE in text_of(page)
    assert soup(page).find("form", action="/checkout") is None
    drafts_before = session.scalar(select(func.count(Order.id)))
    response = alice.post("/checkout")  # pressed anyway (an old page, a crafted post)
    assert response.status_code == 303 and response.headers["Location"] == "/basket"
    assert texts.BASKET_HAS_UNAVAILABLE in text_of(alice.get("/basket"))
    session.rollback()  # a new snapshot: see what the requests wrote
    assert session.scalar(select(func.count(Order.id))) == drafts_before
    # removing the line makes the basket checkable again
    basket = session.scalar(select(Basket).where(Basket.user_id == user.id))
    line = session.scalar(select(BasketItem).where(BasketItem.basket_id == basket.id))
    alice.post(f"/basket/items/{line.id}/remove")
    assert soup(alice.get("/basket")).find(id="basket") is not None


def test_a_checkout_begun_before_the_product_was_retired_is_not_placed(admin, alice, session):
    from core.models import Payment
    from core.services import basket as basket_service

    user = session.scalar(select(User).where(User.email == "alice@acme.example"))
    product = _product(session, "AZ-BACKUP")

    basket_service.add_product(session, user.tenant_id, user, product.id, product.plans[0].id, 1)
    started = alice.post("/checkout")
    order_id = int(started.headers["Location"].split("/")[2])
    admin.post(f"/bss/catalogue/products/{product.id}/retire")
    payments_before = session.scalar(select(func.count(Payment.id)))
    placed = alice.post(
        f"/checkout/{order_id}/place",
        data={
            "when": "now",
            "card_holder": "A",
            "card_number": "4242424242424242",
            "card_expiry_month": "12",
            "card_expiry_year": "2099",
            "card_cvc": "123",
        },
    )
    assert placed.status_code == 303 and placed.headers["Location"] == "/basket"
    assert texts.BASKET_HAS_UNAVAILABLE in text_of(alice.get("/basket"))
    session.rollback()
    order = session.get(Order, order_id)
    assert order.status.mandatory_key == "draft"
    assert session.scalar(select(func.count(Payment.id))) == payments_before


def test_the_product_list_searches_filters_and_pages_by_keyset(admin, session):
    tenant_id = _tenant_id(session)
    managed = _type_id(session, "Managed Services")
    session.execute(
        insert(Product),
        [
            {
                "tenant_id": tenant_id,
                "product_type_id": managed,
                "code": f"ZZ-{n:03d}",
                "name": f"Zeta Service {n:03d}",
                "description": "",
                "is_bundle": False,
                "active": n % 10 != 0,
                "published": n % 5 != 0,
            }
            for n in range(1, 121)
        ],
    )
    session.commit()

    def codes(url):
        page = soup(admin.get(url))
        found = [
            a.get_text(strip=True) for a in page.select("#products-table tbody td:first-child a")
        ]
        nxt = page.find("a", rel="next")
        return found, nxt["href"] if nxt else None

    assert codes("/bss/catalogue/products?q=m365-std")[0] == ["M365-STD"]
    assert codes("/bss/catalogue/products?q=business+premium")[0] == ["M365-PREM"]
    seen, url = [], f"/bss/catalogue/products?q=zeta&product_type={managed}"
    while url:
        page_codes, url = codes(url)
        seen += page_codes
    assert seen == [f"ZZ-{n:03d}" for n in range(1, 121)]  # every one once, by name
    retired, _ = codes("/bss/catalogue/products?q=zeta&status=retired")
    assert retired == [f"ZZ-{n:03d}" for n in range(10, 121, 10)]
    unpublished, _ = codes("/bss/catalogue/products?q=zeta&status=unpublished")
    assert unpublished == [f"ZZ-{n:03d}" for n in range(5, 121, 10)]
    cloud = _type_id(session)
    assert codes(f"/bss/catalogue/products?q=zeta&product_type={cloud}")[0] == []
    assert admin.get("/bss/catalogue/products?after=garbage&product_type=x").status_code == 200


def test_the_storefront_catalogue_searches_by_name_or_code_and_filters_by_product_type(
    alice, session
):
    assert _catalogue_names(alice, "?q=backup") == ["Azure Backup"]
    assert _catalogue_names(alice, "?q=priv-cloud") == ["Dedicated Private Cloud"]
    managed = _type_id(session, "Managed Services")
    names = _catalogue_names(alice, f"?type={managed}")
    assert "Managed Firewall Setup" in names and "Azure Backup" not in names
    assert texts.CATALOGUE_SEARCH_NONE in text_of(alice.get("/?q=nothing-like-this"))
    page = soup(alice.get(f"/?type={managed}"))
    assert page.find("option", selected=True)["value"] == str(managed)


def test_only_roles_that_manage_the_catalogue_reach_it_and_see_it_in_the_menu(admin, app, session):
    assert soup(admin.get("/bss/")).find("a", href="/bss/catalogue/products")
    operator = client_for(app)
    login(operator, "operator@skyline.example", bss=True)
    assert not soup(operator.get("/bss/")).find("a", href="/bss/catalogue/products")
    assert operator.get("/bss/catalogue/products").status_code == 403
    product = _product(session, "AZ-BACKUP")
    assert operator.post(f"/bss/catalogue/products/{product.id}/retire").status_code == 403
    assert _product(session, "AZ-BACKUP").active is True


def test_a_product_of_another_tenant_does_not_exist_for_the_admin(admin, session):
    other = session.scalar(
        select(Product.id).where(Product.tenant_id != _tenant_id(session)).limit(1)
    )
    assert admin.get(f"/bss/catalogue/products/{other}").status_code == 404
    assert admin.post(f"/bss/catalogue/products/{other}/retire").status_code == 404
    assert session.get(Product, other).active is True


def test_status_of_an_order_is_untouched_by_catalogue_changes(admin, session):
    """Editing and retiring a product never rewrites an existing order's lines."""
    item = session.scalar(select(OrderItem).order_by(OrderItem.id).limit(1))
    before = (item.description, item.unit_price, item.quantity)
    status_id = session.scalar(select(Order.status_id).where(Order.id == item.order_id))
    product = session.get(Product, item.product_id)
    admin.post(
        f"/bss/catalogue/products/{product.id}",
        data=_form(session, code=product.code, name="Renamed product"),
    )
    admin.post(f"/bss/catalogue/products/{product.id}/retire")
    session.rollback()  # a new snapshot: see what the requests wrote
    item = session.get(OrderItem, item.id)
    assert (item.description, item.unit_price, item.quantity) == before
    assert session.scalar(select(Order.status_id).where(Order.id == item.order_id)) == status_id
    assert session.get(OrderStatus, status_id) is not None


def test_a_product_priced_only_in_another_price_list_is_not_listed_for_this_visitor(
    admin, app, session
):
    """A plan without a price in the visitor's list cannot be bought by them."""
    product = _product(session, "AZ-BACKUP")
    partner_only = session.scalar(
        select(PriceList.id).where(
            PriceList.tenant_id == _tenant_id(session), PriceList.name == "Partner"
        )
    )
    [plan] = product.plans
    standard = session.scalar(
        select(PriceList.id).where(
            PriceList.tenant_id == _tenant_id(session), PriceList.name == "Standard"
        )
    )
    response = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/{plan.id}",
        data={
            "name": plan.name,
            "billing_cycle": "monthly",
            "commitment_months": "0",
            "min_quantity": "1",
            "max_quantity": "300",
            f"price-{standard}": "",
            f"price-{partner_only}": "8.10",
        },
    )
    assert response.status_code == 303
    assert "Azure Backup" not in _catalogue_names(client_for(app))  # visitors: Standard
    carol = client_for(app)
    login(carol, "carol@bluesky.example")  # a reseller on the Partner list
    assert "Azure Backup" in _catalogue_names(carol)


def test_the_billing_kind_of_a_product_does_not_change_while_its_plans_disagree(admin, session):
    product = _product(session, "AZ-BACKUP")  # recurring, a monthly plan
    response = admin.post(
        f"/bss/catalogue/products/{product.id}",
        data=_form(session, code="AZ-BACKUP", name="Azure Backup", billing_kind="one_off"),
    )
    assert response.status_code == 422
    assert (
        texts.CATALOGUE_BILLING_KIND_PLANS_RECURRING
        in soup(response).find(id="billing_kind-errors").get_text()
    )
    assert _product(session, "AZ-BACKUP").billing_kind == "recurring"
    assert _audit(session, product.id) == []


def test_the_product_form_sets_its_unit_and_free_trial(admin, session):
    created = admin.post(
        "/bss/catalogue/products/new",
        data=_form(session, unit="per user", trial_days="30"),
    )
    assert created.status_code == 303
    product = _product(session, "BK-VAULT")
    assert (product.unit, product.trial_days) == ("per user", 30)
    refused = admin.post(
        f"/bss/catalogue/products/{product.id}",
        data=_form(session, unit="x" * 41, trial_days="999"),
    )
    assert refused.status_code == 422
    page = text_of(refused)
    assert texts.CATALOGUE_UNIT_TOO_LONG.format(max=40) in page
    assert texts.PRODUCT_TRIAL_INVALID.format(max=365) in page
    cleared = admin.post(
        f"/bss/catalogue/products/{product.id}", data=_form(session, unit="", trial_days="")
    )
    assert cleared.status_code == 303
    session.rollback()
    product = _product(session, "BK-VAULT")
    assert (product.unit, product.trial_days) == ("", None)
