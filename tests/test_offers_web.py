"""BSS offer pages through the Flask test client: list with filters, create, Edit (status by
hand), items, print-out, CSV, convert; plain posts and htmx fragments; tenant isolation."""

from decimal import Decimal

from sqlalchemy import select

from core import texts
from core.models import Offer, OfferStatus, Order
from tests.conftest import login, soup, text_of
from tests.helpers_issue5 import account, product, tenant


def _status(session, key):
    return session.scalar(
        select(OfferStatus).where(
            OfferStatus.tenant_id == tenant(session).id, OfferStatus.default_key == key
        )
    )


def _create(client, session, name="Renewal 2027"):
    acme = account(session, "Acme Ltd")
    response = client.post(
        "/bss/offers/new",
        data={"account_id": acme.id, "name": name, "status_id": _status(session, "in_progress").id},
    )
    assert response.status_code == 303, text_of(response)
    return session.scalar(select(Offer).where(Offer.name == name))


def test_the_new_offer_form_preselects_in_progress(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    page = soup(client.get("/bss/offers/new"))
    selected = page.find("select", {"name": "status_id"}).find("option", selected=True)
    assert int(selected["value"]) == _status(session, "in_progress").id
    assert page.find("label", {"for": "status_id"}) is not None


def test_an_operator_builds_accepts_and_converts_an_offer(client, demo, session):
    login(client, "operator@skyline.example", bss=True)
    offer = _create(client, session)
    plan = product(session, "M365-PREM").plans[0]
    added = client.post(f"/bss/offers/{offer.id}/items", data={"plan_id": plan.id, "quantity": "5"})
    assert added.status_code == 303
    session.expire_all()
    item = session.get(Offer, offer.id).items[0]
    assert item.unit_price == Decimal("20.60")
    updated = client.post(
        f"/bss/offers/{offer.id}/items/{item.id}", data={"quantity": "6", "unit_price": "19.00"}
    )
    assert updated.status_code == 303
    edit = client.post(
        f"/bss/offers/{offer.id}/edit",
        data={"name": offer.name, "status_id": _status(session, "accepted").id},
    )
    assert edit.status_code == 303
    page = client.get(f"/bss/offers/{offer.id}")
    assert "Convert to order" in text_of(page)
    converted = client.post(f"/bss/offers/{offer.id}/convert")
    assert converted.status_code == 303
    order = session.scalar(select(Order).where(Order.offer_id == offer.id))
    assert converted.headers["Location"].endswith(f"/bss/orders/{order.id}")
    assert order.total == Decimal("114.00") and order.status.mandatory_key == "submitted"
    again = client.post(f"/bss/offers/{offer.id}/convert")
    assert again.status_code == 409 and texts.OFFER_ALREADY_CONVERTED in text_of(again)


def test_invalid_item_input_answers_422_with_the_items_fragment_for_htmx(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    offer = _create(client, session)
    plan = product(session, "M365-STD").plans[0]
    response = client.post(
        f"/bss/offers/{offer.id}/items",
        data={"plan_id": plan.id, "quantity": "0", "unit_price": "abc"},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in body and 'id="items"' in body
    # the plan's own limits, as on an order
    quantity_invalid = texts.QUANTITY_INVALID.format(min=plan.min_quantity, max=plan.max_quantity)
    assert quantity_invalid in text_of(response)
    assert texts.OFFER_PRICE_INVALID in text_of(response)
    session.expire_all()
    assert session.get(Offer, offer.id).items == []


def test_a_non_accepted_offer_cannot_be_converted_by_a_crafted_post(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    offer = _create(client, session)
    page = client.get(f"/bss/offers/{offer.id}")
    assert soup(page).find("button", string="Convert to order") is None
    response = client.post(f"/bss/offers/{offer.id}/convert")
    assert response.status_code == 409 and texts.OFFER_NOT_ACCEPTED in text_of(response)
    assert session.scalar(select(Order).where(Order.offer_id == offer.id)) is None


def test_the_list_filters_by_status_and_text(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    first = _create(client, session, "Alpha deal")
    _create(client, session, "Beta deal")
    client.post(
        f"/bss/offers/{first.id}/edit",
        data={"name": "Alpha deal", "status_id": _status(session, "lost").id},
    )
    lost = text_of(client.get(f"/bss/offers?status={_status(session, 'lost').id}"))
    assert "Alpha deal" in lost and "Beta deal" not in lost
    beta = client.get("/bss/offers?q=beta", headers={"HX-Request": "true"})
    assert "<html" not in beta.get_data(as_text=True)
    assert "Beta deal" in text_of(beta) and "Alpha deal" not in text_of(beta)
    none = text_of(client.get("/bss/offers?converted=yes"))
    assert texts.OFFERS_NONE in none


def test_print_out_and_csv_export(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    offer = _create(client, session)
    plan = product(session, "M365-STD").plans[0]
    client.post(f"/bss/offers/{offer.id}/items", data={"plan_id": plan.id, "quantity": "2"})
    printed = client.get(f"/bss/offers/{offer.id}/print")
    assert printed.status_code == 200 and "€23.40" in text_of(printed)
    exported = client.get(f"/bss/offers/{offer.id}/export.csv")
    assert exported.mimetype == "text/csv"
    assert f'filename="{offer.number}.csv"' in exported.headers["Content-Disposition"]
    assert "Total,,,23.40" in exported.get_data(as_text=True)


def test_another_tenants_offer_is_a_404_and_customers_are_kept_out(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    offer = _create(client, session)
    client.post("/bss/logout")
    login(client, "admin@nimbus.example", bss=True)
    assert client.get(f"/bss/offers/{offer.id}").status_code == 404
    assert client.post(f"/bss/offers/{offer.id}/convert").status_code == 404
    assert client.get(f"/bss/offers/{offer.id}/export.csv").status_code == 404
    client.post("/bss/logout")
    login(client, "alice@acme.example", bss=False)
    assert client.get("/bss/offers").status_code in (302, 403)


def test_the_bss_navigation_links_to_offers(client, demo):
    login(client, "operator@skyline.example", bss=True)
    nav = soup(client.get("/bss/offers")).find("nav", {"aria-label": "BSS"})
    assert nav.find("a", href="/bss/offers") is not None


def test_the_offer_list_and_the_approvals_page_use_a_fixed_number_of_queries(
    client, demo, session, count_queries
):
    from core.models import OfferItem
    from tests.helpers_issue5 import pending_approval_order

    acme = account(session, "Acme Ltd")
    plan = product(session, "M365-STD").plans[0]
    status = _status(session, "in_progress")
    for n in range(30):
        offer = Offer(
            tenant_id=acme.tenant_id,
            number=f"OFX{n}",
            name=f"Bulk {n}",
            account_id=acme.id,
            status_id=status.id,
        )
        session.add(offer)
        session.flush()
        session.add(
            OfferItem(
                offer_id=offer.id,
                product_id=plan.product_id,
                plan_id=plan.id,
                description="x",
                quantity=1,
                unit_price=Decimal("1.00"),
            )
        )
    session.commit()
    login(client, "admin@skyline.example", bss=True)
    with count_queries() as q:
        assert client.get("/bss/offers").status_code == 200
    assert q.count <= 12, q.statements
    client.post("/bss/logout")

    for _ in range(10):
        pending_approval_order(session)
    login(client, "carol@bluesky.example", bss=False)
    with count_queries() as q:
        page = client.get("/reseller/approvals")
    assert page.status_code == 200 and text_of(page).count("Initech") >= 10
    assert q.count <= 12, q.statements


def test_ids_no_database_integer_can_hold_are_refused_not_crashed(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    offer = _create(client, session)
    huge = str(-(2**70))
    response = client.post(f"/bss/offers/{offer.id}/items", data={"plan_id": huge, "quantity": "1"})
    assert response.status_code == 422 and texts.OFFER_PRODUCT_INVALID in text_of(response)
    assert client.get(f"/bss/offers?status={2**70}&account={2**70}").status_code == 200
    bad_account = client.post("/bss/offers/new", data={"account_id": huge, "status_id": huge})
    assert bad_account.status_code == 422


def test_a_refused_item_clears_the_earlier_item_added_banner(client, demo, session):
    """Tester: a refused Quick Add (price 1.999) left the green "Item added." above the error."""
    login(client, "admin@skyline.example", bss=True)
    offer = _create(client, session)
    plan = product(session, "M365-STD").plans[0]
    added = client.post(
        f"/bss/offers/{offer.id}/items",
        data={"plan_id": plan.id, "quantity": "1"},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 204
    page = soup(client.get(f"/bss/offers/{offer.id}"))
    assert texts.OFFER_ITEM_ADDED in page.find(id="flashes").get_text(" ", strip=True)
    refused = client.post(
        f"/bss/offers/{offer.id}/items",
        data={"plan_id": plan.id, "quantity": "1", "unit_price": "1.999"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422
    flashes = soup(refused).find(id="flashes")
    assert flashes is not None and flashes.get("hx-swap-oob") == "true"
    assert flashes.get_text(strip=True) == ""


def test_the_print_out_names_the_seller_as_the_invoice_does(client, demo, session):
    """Tester: the offer print-out had no seller (the tenant's billing settings)."""
    login(client, "admin@skyline.example", bss=True)
    offer = _create(client, session)
    printed = soup(client.get(f"/bss/offers/{offer.id}/print"))
    seller = printed.find(id="seller")
    assert seller is not None
    text = seller.get_text(" ", strip=True)
    assert "Skyline Cloud Limited" in text
    assert "1 Harbour Square" in text and "Dublin 2" in text
    assert "IE6388047V" in text
