"""The Storefront's small pages read what they show as plain rows and build no more than they
show (issue 19, seventh pass): the product page's one statement against the ORM's read it
replaced, on promotions, prices, add-ons, trials, bundles and products that are not on sale;
the catalogue's page kept whole; the basket's forms without WTForms, parsing and checking as
WTForms did."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import g
from flask import session as cookie_session
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy import delete, select, update
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, SelectField, StringField

from core.db import write_transaction
from core.models import PlanPrice, PriceList, Product, Promotion, Tenant
from core.rules import promotions as promotion_rules
from core.rules.catalogue import trial_days_for
from core.services import catalogue, pricing
from core.services import promotions as promotion_service
from core.services.errors import NotFound
from storefront import forms
from tests.conftest import login, soup
from tests.test_storefront_web import HTMX, reseller_product

ON = date(2026, 12, 1)  # the day the pages are read on


def _promotion(tenant_id, product, days, *, percent=None, amount=None, plan=None, active=True):
    starts, ends = days
    return Promotion(
        tenant_id=tenant_id,
        product_id=product.id,
        name=f"Promotion {starts}",
        kind="percent" if percent is not None else "amount",
        percent_off=percent,
        amount_off=amount,
        plan_id=plan.id if plan is not None else None,
        starts_on=ON + timedelta(days=starts),
        ends_on=ON + timedelta(days=ends),
        active=active,
    )


def _tricky_catalogue(session) -> int:
    """The demo's catalogue with promotions of every kind, a plan with its own trial and one
    without a price, a hidden and a retired product; the reseller tenant's id."""
    reseller = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    other = session.scalar(select(Tenant).where(Tenant.slug != "reseller"))
    m365, premium, backup, cloud, office = (
        reseller_product(session, code)
        for code in ("M365-STD", "M365-PREM", "AZ-BACKUP", "PRIV-CLOUD", "OFFICE-2021")
    )
    bundle = reseller_product(session, "SEC-BUNDLE")
    with write_transaction(session):
        t = reseller.id
        session.add_all(
            [
                _promotion(t, m365, (-30, 60), percent=Decimal("10")),  # every plan
                _promotion(t, m365, (-30, 60), percent=Decimal("15"), plan=m365.plans[-1]),
                _promotion(t, m365, (-300, -200), percent=Decimal("90")),  # long over
                _promotion(t, premium, (-30, 60), amount=Decimal("1.50"), plan=premium.plans[0]),
                _promotion(t, premium, (1, 30), percent=Decimal("50")),  # from tomorrow
                _promotion(t, backup, (-60, -1), percent=Decimal("20")),  # ended yesterday
                _promotion(t, cloud, (-30, 60), percent=Decimal("30"), active=False),
                _promotion(other.id, cloud, (-30, 60), percent=Decimal("40")),  # not its tenant
                _promotion(t, office, (0, 0), amount=Decimal("5.00")),  # today only
                _promotion(t, bundle, (-30, 60), percent=Decimal("10")),  # a tie: the first
                _promotion(t, bundle, (-30, 60), percent=Decimal("10")),
            ]
        )
        m365.plans[-1].trial_days = 14
        m365.plans[0].commitment_months = 12
        backup.published = False
        reseller_product(session, "MNG-FW").active = False
        session.flush()
        # a plan without a price in any list: "—", its promotion judged on a nominal price
        session.execute(delete(PlanPrice).where(PlanPrice.plan_id == office.plans[0].id))
    return t


def _orm_page(session, tenant_id, product_id, price_list_id, on, form_only=False):
    """The product page as the ORM's read built it before (the product with its relationships,
    its active promotions, its plans' and add-ons' prices by their own queries)."""
    product = session.scalar(
        select(Product).where(
            Product.id == product_id,
            Product.tenant_id == tenant_id,
            Product.active.is_(True),
            Product.published.is_(True),
        )
    )
    if product is None:
        return None
    plan_prices = pricing.plan_prices(session, price_list_id, [p.id for p in product.plans])
    addon_prices = {}
    promos = []
    if not form_only:
        addon_prices = pricing.addon_prices(session, price_list_id, [a.id for a in product.addons])
        promos = [promotion_service.terms_of(p) for p in product.active_promotions]
    plans = []
    for plan in product.plans:
        price = plan_prices.get(plan.id)
        unit = price if price is not None else Decimal("100.00")
        best = promotion_rules.best_promotion(promos, product.id, plan.id, unit, on)
        sale = (
            None
            if best is None or price is None
            else price - promotion_rules.unit_discount(best, price)
        )
        plans.append(
            (
                plan.id,
                plan.name,
                plan.billing_cycle,
                plan.commitment_months,
                plan.min_quantity,
                plan.max_quantity,
                price,
                best,
                sale,
                trial_days_for(plan.trial_days, product.trial_days),
            )
        )
    components = catalogue._components(session, [product.id]).get(product.id, [])
    return {
        "product": (product.id, product.name, product.description, product.unit),
        "execution": catalogue.execution_types(session, [product.id])[product.id],
        "plans": plans,
        "addons": [(a.id, a.name, addon_prices.get(a.id)) for a in product.addons],
        "components": [(c.product_id, c.name, c.quantity, c.execution_type) for c in components],
    }


def _lean_page(view):
    product = view.product
    return {
        "product": (product.id, product.name, product.description, product.unit),
        "execution": view.execution_type,
        "plans": [
            (
                p.plan.id,
                p.plan.name,
                p.plan.billing_cycle,
                p.plan.commitment_months,
                p.plan.min_quantity,
                p.plan.max_quantity,
                p.price,
                p.promotion,
                p.sale_price,
                p.trial_days,
            )
            for p in view.plans
        ],
        "addons": [(a.addon.id, a.addon.name, a.price) for a in view.addons],
        "components": [
            (c.product_id, c.name, c.quantity, c.execution_type) for c in view.components
        ],
    }


def test_the_product_pages_lean_read_shows_what_the_orms_read_showed(app, session, demo):
    tenant_id = _tricky_catalogue(session)
    products = session.scalars(select(Product.id).order_by(Product.id)).all()
    price_lists = [*session.scalars(select(PriceList.id).where(PriceList.tenant_id == tenant_id))]
    promoted = 0
    for product_id in [*products, 987654]:
        for price_list_id in [*price_lists, None]:
            for form_only in (False, True):
                session.expire_all()
                expected = _orm_page(session, tenant_id, product_id, price_list_id, ON, form_only)
                if expected is None:  # hidden, retired, another tenant's or no such product
                    with pytest.raises(NotFound):
                        catalogue.product_detail(
                            session, tenant_id, product_id, price_list_id, ON, form_only=form_only
                        )
                    continue
                view = catalogue.product_detail(
                    session, tenant_id, product_id, price_list_id, ON, form_only=form_only
                )
                assert _lean_page(view) == expected, (product_id, price_list_id, form_only)
                promoted += any(p.promotion for p in view.plans)
    # the data set shows what it is meant to: promotions applied, products refused
    assert promoted >= 10
    assert any(_orm_page(session, tenant_id, p, None, ON) is None for p in products) and any(
        _orm_page(session, tenant_id, p, None, ON) is not None for p in products
    )


def test_the_product_page_is_one_statement_and_a_visitor_gets_no_form(
    app, client, session, demo, count_queries, monkeypatch
):
    """One statement for the page, add-ons and their prices included (two before: the add-ons'
    prices by a query of their own), two for a bundle; no add-to-basket form for a visitor."""
    tenant_id = _tricky_catalogue(session)
    m365, bundle = reseller_product(session, "M365-STD"), reseller_product(session, "SEC-BUNDLE")
    price_list_id = session.scalar(
        select(PriceList.id).where(PriceList.tenant_id == tenant_id, PriceList.is_default)
    )
    assert m365.addons
    for product_id, statements in ((m365.id, 1), (bundle.id, 2)):
        session.expire_all()
        with count_queries() as q:
            catalogue.product_detail(session, tenant_id, product_id, price_list_id, ON)
        assert q.count == statements, q.statements
    built = []
    original = forms.AddToBasketForm.__init__

    def counted(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(forms.AddToBasketForm, "__init__", counted)
    page = client.get(f"/products/{m365.id}")
    assert page.status_code == 200 and not built  # a visitor: "sign in to buy"
    assert soup(page).select_one("#add-form") is None
    login(client, "alice@acme.example")
    page = client.get(f"/products/{m365.id}")
    assert len(built) == 1 and soup(page).select_one("#add-form") is not None


def test_a_catalogue_page_read_again_builds_no_card(app, client, session, demo, monkeypatch):
    app.jinja_env.auto_reload = False  # production: fragments are kept
    built = []
    original = catalogue.CataloguePage._card

    def counted(self, row):
        built.append(row[0])
        return original(self, row)

    monkeypatch.setattr(catalogue.CataloguePage, "_card", counted)
    first = client.get("/").get_data(as_text=True)
    assert built  # built once
    built.clear()
    assert client.get("/").get_data(as_text=True) == first
    assert not built  # the same page of rows: its cards' HTML from memory
    # a search's page is left to the cards' memo (searches are countless)
    client.get("/?q=microsoft")
    client.get("/?q=microsoft")
    assert len(built) == 2 * len(set(built)) > 0
    # a product's change makes another page (tests/test_fixed_cost.py: the card shows it)
    built.clear()
    with write_transaction(session):
        session.execute(
            update(Product)
            .where(Product.id == reseller_product(session, "AZ-BACKUP").id)
            .values(description="Now with more.")
        )
    assert "Now with more." in client.get("/").get_data(as_text=True) and built


class _WTFormsAdd(FlaskForm):
    """The add-to-basket form as it was (WTForms), to compare the parsing with."""

    class Meta:
        csrf = False

    plan_id = SelectField("Plan", choices=[], validate_choice=False)
    quantity = StringField("Quantity", default="1")
    trial = BooleanField("Start with a free trial")
    back = HiddenField()


POSTED = [
    {},
    {"plan_id": "12", "quantity": "3", "trial": "y", "back": "/products/1"},
    {"plan_id": "", "quantity": "", "trial": "", "back": ""},
    {"trial": "false", "quantity": " 7 "},
    {"trial": "0", "plan_id": "abc"},
    MultiDict([("plan_id", "1"), ("plan_id", "2"), ("quantity", "4"), ("quantity", "5")]),
    {"addon_3": "2"},
]


@pytest.mark.parametrize("posted", POSTED)
def test_the_add_form_reads_the_post_as_wtforms_did(app, posted):
    for method in ("POST", "GET"):
        kwargs = {"data": posted} if method == "POST" else {"query_string": posted}
        with app.test_request_context("/products/1/add", method=method, **kwargs):
            ours, theirs = forms.AddToBasketForm(), _WTFormsAdd()
            for name in ("plan_id", "quantity", "trial", "back"):
                mine, wtf = getattr(ours, name), getattr(theirs, name)
                assert mine.data == wtf.data, (method, name)
                if name in ("quantity", "back"):  # (the others' values the template writes)
                    assert mine._value() == wtf._value(), (method, name)
                if name != "back":
                    assert mine.label.text == wtf.label.text
            assert ours.validate_on_submit() == theirs.validate_on_submit()
    if not isinstance(posted, MultiDict):  # a JSON body, as FlaskForm reads one
        with app.test_request_context("/products/1/add", method="POST", json=posted):
            ours, theirs = forms.AddToBasketForm(), _WTFormsAdd()
            assert [getattr(ours, n).data for n in ("plan_id", "quantity", "trial", "back")] == [
                getattr(theirs, n).data for n in ("plan_id", "quantity", "trial", "back")
            ]
    with app.test_request_context("/", method="POST", data=posted):
        quantity = forms.QuantityForm().quantity.data
        assert quantity == (MultiDict(posted).get("quantity") if posted else None)


def test_the_basket_forms_check_the_csrf_token_where_csrfprotect_did_not(app):
    """CSRFProtect checks every post first (``g.csrf_valid``); a form checks its own token
    field otherwise, as FlaskForm did."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/", method="POST"):
        token = generate_csrf()
        raw = cookie_session["csrf_token"]
    for field, valid in ((token, True), ("forged", False), (None, False)):
        data = {"quantity": "2"} | ({"csrf_token": field} if field else {})
        with app.test_request_context("/", method="POST", data=data):
            cookie_session["csrf_token"] = raw
            for form in (forms.QuantityForm(), forms.AddToBasketForm()):
                assert form.validate_on_submit() is valid
            g.csrf_valid = True  # checked by CSRFProtect
            assert forms.RemoveDeliveryForm().validate_on_submit()
            del g.csrf_valid  # (the tests' requests share the app context, and its g)
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context("/", method="POST", data={"quantity": "2"}):
        assert forms.QuantityForm().validate_on_submit()
        assert not forms.QuantityForm().csrf


def test_no_wtforms_form_is_built_on_the_busiest_requests(app, client, session, demo, monkeypatch):
    """The product page, an add (htmx), the basket page and a quantity change build no WTForms
    form (~0.1-0.15 ms each: its fields, its CSRF field signing or checking anew)."""
    import wtforms

    login(client, "alice@acme.example")
    m365 = reseller_product(session, "M365-STD")
    built = []
    original = wtforms.form.BaseForm.__init__

    def counted(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(wtforms.form.BaseForm, "__init__", counted)
    assert client.get(f"/products/{m365.id}").status_code == 200
    form = {
        "plan_id": str(m365.plans[0].id),
        "quantity": "2",
        "addon_" + str(m365.addons[0].id): "1",
    }
    added = client.post(f"/products/{m365.id}/add", data=form, headers=HTMX)
    assert added.status_code == 200
    refused = client.post(f"/products/{m365.id}/add", data=form | {"quantity": "abc"}, headers=HTMX)
    assert refused.status_code == 422
    basket = client.get("/basket")
    item_id = soup(basket).select_one("input[name=quantity]")["id"].removeprefix("qty-")
    changed = client.post(f"/basket/items/{item_id}/quantity", data={"quantity": "3"}, headers=HTMX)
    assert changed.status_code == 200
    assert not built, built


def test_an_add_builds_its_products_url_once_per_app(app, client, session, demo, monkeypatch):
    """The product's URL (the form's way back) comes from the templates' memo of URLs: an add
    builds none anew once the product's page or a first add has built it."""
    login(client, "alice@acme.example")
    m365 = reseller_product(session, "M365-STD")
    form = {"plan_id": str(m365.plans[0].id), "quantity": "1"}
    assert client.post(f"/products/{m365.id}/add", data=form, headers=HTMX).status_code == 200
    built = []
    original = type(app).url_for

    def counted(self, endpoint, **values):
        built.append(endpoint)
        return original(self, endpoint, **values)

    monkeypatch.setattr(type(app), "url_for", counted)
    added = client.post(f"/products/{m365.id}/add", data=form, headers=HTMX)
    assert added.status_code == 200
    assert f'value="/products/{m365.id}"' in added.get_data(as_text=True)
    assert "storefront.product" not in built, built


def test_a_refused_add_without_javascript_shows_the_whole_page_with_its_prices(
    client, session, demo
):
    login(client, "alice@acme.example")
    m365 = reseller_product(session, "M365-STD")
    page = client.get(f"/products/{m365.id}")
    shown = [li.get_text(strip=True) for li in soup(page).select("#addons li")]
    assert shown and not any(text.endswith("—") for text in shown)
    form = {"plan_id": str(m365.plans[0].id), "quantity": "0"}
    refused = client.post(f"/products/{m365.id}/add", data=form)  # no htmx: the whole page
    assert refused.status_code == 422
    assert [li.get_text(strip=True) for li in soup(refused).select("#addons li")] == shown
