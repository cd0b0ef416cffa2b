"""A catalogue with more plans than a list shows: Quick Add on the order page and on the offer
page never lists them all (at the benchmark's 2,000 products the list weighed 130 KB and most
of an open order's page time, issue 19); the BSS user types part of a product's or plan's name,
as for an account (core.services.picking)."""

from decimal import Decimal

from sqlalchemy import func, select

from core import texts
from core.models import Offer, OfferStatus, Order, Plan, PlanPrice, PriceList, Product
from core.services import picking
from tests.conftest import executed, login, soup, text_of
from tests.helpers_issue5 import account, product, tenant

BULK = picking.LIMIT + 50


def _add_plans(session, count=BULK):
    """``count`` products "Bulk Service 1".. each with one plan "Monthly", priced in every price
    list of the tenant, of the same type as Microsoft 365 Premium (automatic)."""
    owner = tenant(session)
    kind = product(session, "M365-PREM").product_type_id
    price_lists = session.scalars(select(PriceList.id).where(PriceList.tenant_id == owner.id))
    price_lists = list(price_lists)
    products = [
        Product(
            tenant_id=owner.id, product_type_id=kind, code=f"BULK-{n}", name=f"Bulk Service {n}"
        )
        for n in range(1, count + 1)
    ]
    session.add_all(products)
    session.flush()
    plans = [Plan(product_id=p.id, name="Monthly") for p in products]
    session.add_all(plans)
    session.flush()
    session.add_all(
        PlanPrice(plan_id=plan.id, price_list_id=pl, price=Decimal("3.00"))
        for plan in plans
        for pl in price_lists
    )
    session.commit()


def _options(page, name):
    return [o.get_text(strip=True) for o in soup(page).select(f"select[name={name}] option")]


def _new_order(client, session, name="Bulk renewal"):
    acme = account(session, "Acme Ltd")
    made = client.post("/bss/orders/new", data={"account_id": acme.id, "name": name})
    assert made.status_code == 303, text_of(made)
    return session.scalar(select(Order).where(Order.name == name))


def _items(session, model, owner_id):
    session.expire_all()
    return [i.description for i in session.get(model, owner_id).items]


def test_the_order_pages_quick_add_finds_a_plan_by_name_beyond_the_limit(client, demo, session):
    _add_plans(session)
    login(client, "operator@skyline.example", bss=True)
    order = _new_order(client, session)
    page = client.get(f"/bss/orders/{order.id}")
    assert page.status_code == 200
    assert soup(page).find("input", {"name": "product_search"})
    assert _options(page, "product_plan") == []  # no list until a name is typed
    assert "Too many products to list" in text_of(page)
    url = f"/bss/orders/{order.id}/items"
    several = client.post(url, data={"product_search": "ulk service 24", "quantity": "1"})
    assert several.status_code == 422
    assert texts.QUICK_ADD_SEARCH.format(count=11) in text_of(several)
    assert _options(several, "product_plan")[1:] == [
        f"Bulk Service {n} (Monthly)" for n in (24, *range(240, 250))
    ]
    none = client.post(url, data={"product_search": "No such thing", "quantity": "1"})
    assert none.status_code == 422 and texts.QUICK_ADD_NO_MATCH in text_of(none)
    assert _items(session, Order, order.id) == []
    # one match is taken; the product's whole name is taken among several ("Bulk Service 2"
    # is in 61 names); a plan chosen from the matches wins over the name still typed
    one = client.post(url, data={"product_search": "bulk service 249", "quantity": "2"})
    assert one.status_code == 303, text_of(one)
    whole = client.post(url, data={"product_search": "Bulk Service 2", "quantity": "1"})
    assert whole.status_code == 303, text_of(whole)
    value = soup(several).find("option", string="Bulk Service 245 (Monthly)")["value"]
    chosen = client.post(
        url, data={"product_search": "ulk service 24", "product_plan": value, "quantity": "1"}
    )
    assert chosen.status_code == 303, text_of(chosen)
    assert _items(session, Order, order.id) == [
        "Bulk Service 249 (Monthly)",
        "Bulk Service 2 (Monthly)",
        "Bulk Service 245 (Monthly)",
    ]


def test_the_order_pages_quick_add_keeps_a_chosen_plan_after_another_error(client, demo, session):
    _add_plans(session)
    login(client, "operator@skyline.example", bss=True)
    order = _new_order(client, session)
    plan = session.scalar(select(Plan).join(Product).where(Product.code == f"BULK-{BULK}"))
    value = f"{plan.product_id}-{plan.id}"  # sorts past the first LIMIT plans
    refused = client.post(
        f"/bss/orders/{order.id}/items", data={"product_plan": value, "quantity": "0"}
    )
    assert refused.status_code == 422
    kept = soup(refused).select_one("select[name=product_plan] option[selected]")
    assert kept is not None and kept.get_text(strip=True) == f"Bulk Service {BULK} (Monthly)"
    # ids no database holds, and keys that are not "<product>-<plan>": a message, never a 500
    for bad in ("99999999999-1", "1-99999999999", "x-y", "12", "-1-2"):
        answer = client.post(f"/bss/orders/{order.id}/items", data={"product_plan": bad})
        assert answer.status_code == 422, bad
    assert _items(session, Order, order.id) == []


def test_up_to_the_limit_the_order_pages_quick_add_lists_every_priced_plan(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    order = _new_order(client, session)
    priced = session.scalar(
        select(func.count())
        .select_from(Plan)
        .join(Product)
        .join(
            PlanPrice,
            (PlanPrice.plan_id == Plan.id) & (PlanPrice.price_list_id == order.price_list_id),
        )
        .where(Product.tenant_id == order.tenant_id, Product.active.is_(True))
    )
    _add_plans(session, picking.LIMIT - priced)
    page = client.get(f"/bss/orders/{order.id}")
    assert len(_options(page, "product_plan")) == picking.LIMIT + 1  # and "Choose a product"
    assert not soup(page).find("input", {"name": "product_search"})
    _add_plans_named(session, "Extra Service")
    page = client.get(f"/bss/orders/{order.id}")
    assert _options(page, "product_plan") == []
    assert soup(page).find("input", {"name": "product_search"})


def _add_plans_named(session, name):
    owner = tenant(session)
    kind = product(session, "M365-PREM").product_type_id
    extra = Product(tenant_id=owner.id, product_type_id=kind, code="EXTRA", name=name)
    session.add(extra)
    session.flush()
    plan = Plan(product_id=extra.id, name="Monthly")
    session.add(plan)
    session.flush()
    for pl in session.scalars(select(PriceList.id).where(PriceList.tenant_id == owner.id)):
        session.add(PlanPrice(plan_id=plan.id, price_list_id=pl, price=Decimal("1.00")))
    session.commit()


def _new_offer(client, session, name="Bulk offer"):
    status = session.scalar(
        select(OfferStatus).where(
            OfferStatus.tenant_id == tenant(session).id, OfferStatus.default_key == "in_progress"
        )
    )
    made = client.post(
        "/bss/offers/new",
        data={"account_id": account(session, "Acme Ltd").id, "name": name, "status_id": status.id},
    )
    assert made.status_code == 303, text_of(made)
    return session.scalar(select(Offer).where(Offer.name == name))


def test_the_offer_pages_quick_add_finds_a_plan_by_name_beyond_the_limit(client, demo, session):
    _add_plans(session)
    login(client, "operator@skyline.example", bss=True)
    offer = _new_offer(client, session)
    page = client.get(f"/bss/offers/{offer.id}")
    assert page.status_code == 200
    assert soup(page).find("input", {"name": "plan_search"})
    assert _options(page, "plan_id") == []
    url = f"/bss/offers/{offer.id}/items"
    several = client.post(url, data={"plan_search": "ulk service 24", "quantity": "1"})
    assert several.status_code == 422
    assert texts.QUICK_ADD_SEARCH.format(count=11) in text_of(several)
    assert len(_options(several, "plan_id")) == 12
    none = client.post(url, data={"plan_search": "No such thing", "quantity": "1"})
    assert none.status_code == 422 and texts.QUICK_ADD_NO_MATCH in text_of(none)
    # a bad quantity and a name that designates nothing: both said at once
    both = client.post(url, data={"plan_search": "No such thing", "quantity": "0"})
    assert both.status_code == 422 and texts.QUICK_ADD_NO_MATCH in text_of(both)
    assert soup(both).select("#quantity-errors li")
    assert _items(session, Offer, offer.id) == []
    one = client.post(url, data={"plan_search": "bulk service 249", "quantity": "2"})
    assert one.status_code == 303, text_of(one)
    value = soup(several).find("option", string="Bulk Service 245 (Monthly)")["value"]
    chosen = client.post(
        url, data={"plan_search": "ulk service 24", "plan_id": value, "quantity": "1"}
    )
    assert chosen.status_code == 303, text_of(chosen)
    assert _items(session, Offer, offer.id) == [
        "Bulk Service 249 (Monthly)",
        "Bulk Service 245 (Monthly)",
    ]
    for bad in ("99999999999", "-3", "abc"):
        answer = client.post(url, data={"plan_id": bad, "quantity": "1"})
        assert answer.status_code == 422, bad


def test_a_converted_offers_page_has_no_quick_add_and_takes_no_plan_by_name(client, demo, session):
    """Quick Add does not show on a converted offer: its page reads no plans, however many."""
    _add_plans(session)
    login(client, "operator@skyline.example", bss=True)
    offer = _new_offer(client, session)
    offer_row = session.get(Offer, offer.id)
    offer_row.converted_order_id = session.scalar(select(Order.id).limit(1))
    session.commit()
    page = client.get(f"/bss/offers/{offer.id}")
    assert page.status_code == 200
    assert not soup(page).find("input", {"name": "plan_search"})
    refused = client.post(
        f"/bss/offers/{offer.id}/items", data={"plan_search": "bulk service 249", "quantity": "1"}
    )
    assert refused.status_code == 409
    assert _items(session, Offer, offer.id) == []


def test_an_order_page_reads_a_bounded_page_of_plans_however_many_there_are(client, demo, session):
    """Beyond the limit the page reads LIMIT + 1 priced plans (to know there are more) in one
    statement, and lists none of them: its size does not grow with the catalogue."""
    from webapp.extensions import db

    login(client, "operator@skyline.example", bss=True)
    order = _new_order(client, session)
    client.get(f"/bss/orders/{order.id}")
    _add_plans(session)
    small = len(client.get(f"/bss/orders/{order.id}").data)
    _add_plans_named(session, "Extra Service")
    with executed(db.engine, lambda statement: "plan_price" in statement) as sent:
        page = client.get(f"/bss/orders/{order.id}")
    assert page.status_code == 200
    assert len(sent) == 1
    assert f"LIMIT {picking.LIMIT + 1}" in sent[0][0]
    assert len(page.data) <= small + 200  # one more product: the page has not grown with it
    searched = client.post(
        f"/bss/orders/{order.id}/items", data={"product_search": "Bulk Service", "quantity": "1"}
    )
    assert searched.status_code == 422
    assert texts.QUICK_ADD_SEARCH.format(count=f"More than {picking.LIMIT}") in text_of(searched)
    assert len(_options(searched, "product_plan")) == picking.LIMIT + 1  # capped, and "Choose"


def test_a_refused_quick_add_says_each_message_once(client, demo, session):
    """The form's own validation and the page's errors both carried the quantity's message:
    it showed twice under the field."""
    login(client, "operator@skyline.example", bss=True)
    order = _new_order(client, session)
    refused = client.post(f"/bss/orders/{order.id}/items", data={"quantity": "0"})
    assert refused.status_code == 422
    messages = [li.get_text() for li in soup(refused).select("#quantity-errors li")]
    assert messages == ["Number must be between 1 and 100000."]


def test_an_htmx_quick_add_reloads_the_order_page_it_was_made_on(client, demo, session):
    """htmx follows HX-Redirect with ``location.href = url``: to the page it is on, with only
    "#products" added, the browser scrolls and does not reload, so the added item did not
    show. A redirect to the page the request came from also asks htmx to reload it."""
    login(client, "operator@skyline.example", bss=True)
    order = _new_order(client, session)
    page = client.get(f"/bss/orders/{order.id}")
    value = soup(page).select("select[name=product_plan] option")[1]["value"]
    here = f"http://localhost/bss/orders/{order.id}"
    for current in (here, here + "#products"):
        added = client.post(
            f"/bss/orders/{order.id}/items",
            data={"product_plan": value, "quantity": "1"},
            headers={"HX-Request": "true", "HX-Current-URL": current},
        )
        assert added.status_code == 204
        assert added.headers["HX-Redirect"] == f"/bss/orders/{order.id}#products"
        assert added.headers.get("HX-Refresh") == "true"
    # from another page (a list, say), the redirect alone navigates: no reload asked
    elsewhere = client.post(
        f"/bss/orders/{order.id}/items",
        data={"product_plan": value, "quantity": "1"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/bss/orders"},
    )
    assert elsewhere.status_code == 204 and "HX-Refresh" not in elsewhere.headers


def test_a_quick_add_quantity_in_other_digits_is_refused_as_in_the_storefront(
    client, demo, session
):
    """int() reads "٥" (an Arabic-Indic five) as 5: the Storefront refuses it, so does the BSS."""
    from core.rules.offers import parse_quantity

    login(client, "operator@skyline.example", bss=True)
    order = _new_order(client, session)
    page = client.get(f"/bss/orders/{order.id}")
    value = soup(page).select("select[name=product_plan] option")[1]["value"]
    refused = client.post(
        f"/bss/orders/{order.id}/items", data={"product_plan": value, "quantity": "٥"}
    )
    assert refused.status_code == 422
    assert _items(session, Order, order.id) == []
    assert parse_quantity("٥") == (None, texts.OFFER_QUANTITY_INVALID)
