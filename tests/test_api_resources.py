"""The API's resources added to close issue 18 (point 3): back-orders (list, read, only the
edits the BSS allows on them), offer deletion (as the BSS offer page's Delete), account and
catalogue writes through the BSS back offices' use cases, with the roles' permissions; and the
orders list in the same number of queries at two sizes (point 9). Both engines."""

from __future__ import annotations

from sqlalchemy import func, select

from core import texts
from core.models import (
    AuditEntry,
    CreditLimitChange,
    Offer,
    OfferEvent,
    OfferItem,
    Order,
    OrderItem,
    PlanPrice,
    PriceList,
    Product,
    ProductType,
)
from tests.api_helpers import account_id, auth, make_key, product, tenant_id
from tests.conftest import QueryCounter, login, soup
from tests.test_api_orders import _problem

SKYLINE_ADMIN = "admin@skyline.example"


def _backorder(session) -> Order:
    return session.scalar(
        select(Order).where(Order.source == "backorder").order_by(Order.id).limit(1)
    )


# --- back-orders --------------------------------------------------------------------------------


def test_the_distributor_lists_reads_and_edits_only_what_the_bss_allows(client, session, demo):
    token = make_key(session, "admin@nimbus.example")
    backorder = _backorder(session)
    listed = client.get("/api/v1/backorders?limit=1", headers=auth(token)).get_json()
    assert listed["data"] and listed["data"][0]["billing_to"] == "Skyline Cloud"
    pages, url = [], "/api/v1/backorders?limit=1"
    while url:
        page = client.get(url, headers=auth(token)).get_json()
        pages += [row["id"] for row in page["data"]]
        url = page["next_cursor"] and f"/api/v1/backorders?limit=1&cursor={page['next_cursor']}"
    demo_backorders = session.scalar(
        select(func.count(Order.id)).where(Order.source == "backorder")
    )
    assert len(pages) == len(set(pages)) == demo_backorders
    read = client.get(f"/api/v1/backorders/{backorder.id}", headers=auth(token)).get_json()
    assert read["backorder"]["reseller"] == "Skyline Cloud"
    assert read["backorder"]["billing_to"]["name"] == "Skyline Cloud"

    edited = client.patch(
        f"/api/v1/backorders/{backorder.id}",
        json={"name": "Checked by Nimbus", "sales_rep": "Nora", "campaign": "Q4"},
        headers=auth(token),
    )
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["name"], edited.get_json()["sales_rep"]) == (
        "Checked by Nimbus",
        "Nora",
    )
    session.expire_all()
    assert session.get(Order, backorder.id).campaign == "Q4"

    # anything else the seed forbids: not a field of the edit, and the order routes refuse
    for refused in ({"status_id": 1}, {"total": "1.00"}, {"account_id": 1}):
        _problem(
            client.patch(f"/api/v1/backorders/{backorder.id}", json=refused, headers=auth(token)),
            422,
            "validation-failed",
        )
    item = session.get(Order, backorder.id).items[0]
    for method, path, body in (
        ("POST", "execute", {}),
        ("POST", "copy", None),
        ("POST", "cancel", None),
        ("PATCH", "items", {"items": [{"item_id": item.id, "quantity": 9}]}),
    ):
        _problem(
            client.open(
                f"/api/v1/orders/{backorder.id}/{path}",
                method=method,
                json=body,
                headers=auth(token),
            ),
            403,
            "backorder-restricted",
        )
    # an order that is not a back-order is not one, and the reseller does not see the distributor's
    regular = session.scalar(
        select(Order.id).where(Order.tenant_id == backorder.tenant_id, Order.source != "backorder")
    )
    if regular is not None:
        missing = client.get(f"/api/v1/backorders/{regular}", headers=auth(token))
        assert missing.status_code == 404
    reseller = make_key(session, SKYLINE_ADMIN)
    assert (
        client.get(f"/api/v1/backorders/{backorder.id}", headers=auth(reseller)).status_code == 404
    )


def test_the_sharing_rule_of_a_backorder_hides_it_from_an_operator_as_in_the_bss(
    client, session, demo
):
    from core.db import write_transaction
    from core.models import User
    from webapp.auth import hash_password

    backorder = _backorder(session)
    with write_transaction(session):
        session.add(
            User(
                tenant_id=backorder.tenant_id,
                kind="bss",
                role="operator",
                email="operator@nimbus.example",
                name="Nimbus Operator",
                password_hash=hash_password("demo-password"),
            )
        )
        row = session.get(Order, backorder.id)
        row.sharing_rule = "private"
        row.responsible_user_id = None
    token = make_key(session, "operator@nimbus.example")
    assert client.get(f"/api/v1/backorders/{backorder.id}", headers=auth(token)).status_code == 404
    assert client.get(f"/api/v1/orders/{backorder.id}", headers=auth(token)).status_code == 404
    listed = client.get("/api/v1/backorders?limit=200", headers=auth(token)).get_json()
    assert backorder.id not in {row["id"] for row in listed["data"]}
    admin = make_key(session, "admin@nimbus.example")
    assert client.get(f"/api/v1/backorders/{backorder.id}", headers=auth(admin)).status_code == 200


# --- offers: delete ------------------------------------------------------------------------------


def _new_offer(client, session, token) -> dict:
    created = client.post(
        "/api/v1/offers", json={"account_id": account_id(session, "Acme Ltd")}, headers=auth(token)
    ).get_json()
    backup = product(session, "AZ-BACKUP")
    client.post(
        f"/api/v1/offers/{created['id']}/items",
        json={"plan_id": backup.plans[0].id, "quantity": 2},
        headers=auth(token),
    )
    return created


def test_an_offer_is_deleted_with_its_items_and_history_but_a_converted_one_stays(
    client, session, demo
):
    token = make_key(session, "operator@skyline.example")
    offer = _new_offer(client, session, token)
    deleted = client.delete(f"/api/v1/offers/{offer['id']}", headers=auth(token))
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert "Content-Type" not in deleted.headers  # no body, no media type (it said JSON)
    session.expire_all()
    assert session.get(Offer, offer["id"]) is None
    for model in (OfferItem, OfferEvent):
        assert not session.scalar(select(func.count()).where(model.offer_id == offer["id"]))
    audit = session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "offer", AuditEntry.action == "delete")
    )
    assert audit is not None and audit.entity_id == offer["id"]
    again = client.delete(f"/api/v1/offers/{offer['id']}", headers=auth(token))
    _problem(again, 404, "not-found")

    converted = session.scalar(select(Offer).where(Offer.converted_order_id.is_not(None)))
    if converted is None:  # the demo has none: accept and convert one through the API
        from core.models import OfferStatus

        converted_id = _new_offer(client, session, token)["id"]
        accepted = session.scalar(
            select(OfferStatus.id).where(
                OfferStatus.tenant_id == tenant_id(session), OfferStatus.type == "accepted"
            )
        )
        client.patch(
            f"/api/v1/offers/{converted_id}", json={"status_id": accepted}, headers=auth(token)
        )
        assert (
            client.post(f"/api/v1/offers/{converted_id}/convert", headers=auth(token)).status_code
            == 201
        )
    else:
        converted_id = converted.id
    _problem(client.delete(f"/api/v1/offers/{converted_id}", headers=auth(token)), 409, "conflict")
    session.expire_all()
    assert session.get(Offer, converted_id) is not None
    bss = client.application.test_client()
    login(bss, "operator@skyline.example")
    refused = bss.get(f"/bss/offers/{converted_id}/delete/confirm")
    assert refused.status_code == 409
    assert texts.OFFER_CONVERTED_NOT_DELETED in refused.get_data(as_text=True)


def test_the_bss_offer_page_deletes_an_offer_with_the_same_rule(client, session, demo):
    token = make_key(session, SKYLINE_ADMIN)
    offer = _new_offer(client, session, token)
    bss = client.application.test_client()
    login(bss, "operator@skyline.example")
    page = bss.get(f"/bss/offers/{offer['id']}").get_data(as_text=True)
    # the page's Delete offer asks first; the confirmation's form posts the real action
    confirm_url = f"/bss/offers/{offer['id']}/delete/confirm"
    assert confirm_url in page
    confirmation = bss.get(confirm_url)
    assert confirmation.status_code == 200
    form = soup(confirmation).select_one(f"form[action='/bss/offers/{offer['id']}/delete']")
    assert form is not None and texts.CONFIRM_DELETE_OFFER_YES in form.get_text()
    dialog = bss.get(confirm_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<dialog" in dialog and "<html" not in dialog
    session.expire_all()
    assert session.get(Offer, offer["id"]) is not None  # asking deletes nothing
    answer = bss.post(f"/bss/offers/{offer['id']}/delete")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/bss/offers")
    session.expire_all()
    assert session.get(Offer, offer["id"]) is None
    assert bss.post(f"/bss/offers/{offer['id']}/delete").status_code == 404


# --- accounts -----------------------------------------------------------------------------------


def _price_list(session) -> int:
    return session.scalar(
        select(PriceList.id).where(PriceList.tenant_id == tenant_id(session)).order_by(PriceList.id)
    )


def test_an_admin_key_creates_and_edits_an_account_with_the_bss_rules(client, session, demo):
    token = make_key(session, SKYLINE_ADMIN)
    body = {
        "name": "Umbrella Corp",
        "kind": "end_customer",
        "payment_method": "on_account",
        "price_list_id": _price_list(session),
        "credit_limit": "2500.00",
        "billing_email": "ap@umbrella.example",
    }
    headers = auth(token, **{"Idempotency-Key": "create-umbrella"})
    created = client.post("/api/v1/accounts", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    account = created.get_json()
    assert account["credit_limit"] == "2500.00" and account["email"] == "ap@umbrella.example"
    # what a write takes is read back under the same name
    assert account["billing_email"] == "ap@umbrella.example" and account["timezone"] == "UTC"
    replay = client.post("/api/v1/accounts", json=body, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json() == account
    # the BSS rules: a name is used once, a credit limit change needs its reason
    taken = client.post("/api/v1/accounts", json=body, headers=auth(token))
    assert "name" in _problem(taken, 422, "validation-failed")["errors"]
    shouted = client.post(
        "/api/v1/accounts", json={**body, "name": "UMBRELLA CORP"}, headers=auth(token)
    )
    assert "name" in _problem(shouted, 422, "validation-failed")["errors"]
    no_reason = client.patch(
        f"/api/v1/accounts/{account['id']}", json={"credit_limit": "3000.00"}, headers=auth(token)
    )
    assert "credit_reason" in _problem(no_reason, 422, "validation-failed")["errors"]
    raised = client.patch(
        f"/api/v1/accounts/{account['id']}",
        json={"credit_limit": "3000.00", "credit_reason": "Paid on time for a year"},
        headers=auth(token),
    )
    assert raised.status_code == 200 and raised.get_json()["credit_limit"] == "3000.00"
    assert raised.get_json()["name"] == "Umbrella Corp"  # fields not sent stay
    history = session.scalars(
        select(CreditLimitChange.reason).where(CreditLimitChange.account_id == account["id"])
    ).all()
    assert "Paid on time for a year" in history
    # the country and the tax exemption, as on the BSS form (core.rules.accounts)
    exempt = client.patch(
        f"/api/v1/accounts/{account['id']}",
        json={"country": "de", "tax_exempt": True},
        headers=auth(token),
    )
    assert exempt.status_code == 200, exempt.get_json()
    assert (exempt.get_json()["country"], exempt.get_json()["tax_exempt"]) == ("DE", True)
    assert exempt.get_json()["credit_limit"] == "3000.00"  # fields not sent stay
    wrong = client.patch(
        f"/api/v1/accounts/{account['id']}",
        json={"country": "FR", "vat_number": "DE123456789"},
        headers=auth(token),
    )
    assert "vat_number" in _problem(wrong, 422, "validation-failed")["errors"]
    # a field a GET answers null for takes null back: it clears it, as blank does
    as_read = client.get(f"/api/v1/accounts/{account['id']}", headers=auth(token)).get_json()
    assert as_read["vat_number"] is None
    cleared = client.patch(
        f"/api/v1/accounts/{account['id']}",
        json={"vat_number": None, "country": None, "billing_name": None, "billing_address": None},
        headers=auth(token),
    )
    assert cleared.status_code == 200, cleared.get_json()
    assert cleared.get_json()["vat_number"] is None and cleared.get_json()["country"] is None
    # an operator sees accounts but does not edit them (core.rules.roles)
    operator = make_key(session, "operator@skyline.example")
    assert (
        client.get(f"/api/v1/accounts/{account['id']}", headers=auth(operator)).status_code == 200
    )
    _problem(
        client.patch(
            f"/api/v1/accounts/{account['id']}", json={"vat_number": ""}, headers=auth(operator)
        ),
        403,
        "forbidden",
    )


# --- catalogue ----------------------------------------------------------------------------------


def test_a_product_and_its_plan_with_prices_are_written_through_the_catalogue_rules(
    client, session, demo
):
    token = make_key(session, SKYLINE_ADMIN)
    product_type = session.scalar(
        select(ProductType.id).where(ProductType.tenant_id == tenant_id(session)).limit(1)
    )
    created = client.post(
        "/api/v1/products",
        json={"code": "API-BACKUP", "name": "Backup from the ERP", "product_type_id": product_type},
        headers=auth(token, **{"Idempotency-Key": "product-1"}),
    )
    assert created.status_code == 201, created.get_json()
    product_id = created.get_json()["id"]
    assert created.get_json()["plans"] == [] and created.get_json()["published"] is False
    assert created.get_json()["unit"] == "" and created.get_json()["trial_days"] is None
    with_unit = client.patch(
        f"/api/v1/products/{created.get_json()['id']}",
        json={"unit": "per host", "trial_days": 14},
        headers=auth(token),
    )
    assert with_unit.status_code == 200, with_unit.get_json()
    assert (with_unit.get_json()["unit"], with_unit.get_json()["trial_days"]) == ("per host", 14)
    too_long = client.patch(
        f"/api/v1/products/{created.get_json()['id']}",
        json={"trial_days": 400},
        headers=auth(token),
    )
    assert "trial_days" in _problem(too_long, 422, "validation-failed")["errors"]
    taken = client.post(
        "/api/v1/products",
        json={"code": "api-backup", "name": "Again", "product_type_id": product_type},
        headers=auth(token),
    )
    assert "code" in _problem(taken, 422, "validation-failed")["errors"]

    price_list = _price_list(session)
    plan = client.post(
        f"/api/v1/products/{product_id}/plans",
        json={
            "name": "Monthly",
            "billing_cycle": "monthly",
            "max_quantity": 100,
            "prices": {str(price_list): "12.50"},
        },
        headers=auth(token),
    )
    assert plan.status_code == 201, plan.get_json()
    (made,) = plan.get_json()["plans"]
    assert made["prices"] == {str(price_list): "12.50"} and made["min_quantity"] == 1
    assert made["trial_days"] is None  # the product's trial
    with_trial = client.patch(
        f"/api/v1/products/{product_id}/plans/{made['id']}",
        json={"trial_days": 30},
        headers=auth(token),
    )
    assert with_trial.get_json()["plans"][0]["trial_days"] == 30
    changed = client.patch(
        f"/api/v1/products/{product_id}/plans/{made['id']}",
        json={"prices": {str(price_list): "11.00"}, "max_quantity": 50},
        headers=auth(token),
    )
    assert changed.status_code == 200, changed.get_json()
    (after,) = changed.get_json()["plans"]
    assert (after["prices"], after["max_quantity"], after["name"], after["trial_days"]) == (
        {str(price_list): "11.00"},
        50,
        "Monthly",
        30,  # not sent: kept
    )
    assert session.scalar(select(PlanPrice.price).where(PlanPrice.plan_id == made["id"])) == 11
    bad = client.patch(
        f"/api/v1/products/{product_id}/plans/{made['id']}",
        json={"min_quantity": 80},
        headers=auth(token),
    )
    assert "max_quantity" in _problem(bad, 422, "validation-failed")["errors"]
    unknown_list = client.patch(
        f"/api/v1/products/{product_id}/plans/{made['id']}",
        json={"prices": {"999999": "1.00"}},
        headers=auth(token),
    )
    _problem(unknown_list, 422, "validation-failed")
    published = client.patch(
        f"/api/v1/products/{product_id}", json={"published": True}, headers=auth(token)
    )
    assert published.get_json()["published"] is True
    assert published.get_json()["name"] == "Backup from the ERP"
    assert client.get(f"/api/v1/products/{product_id}", headers=auth(token)).get_json() == (
        published.get_json()
    )
    # an operator reads the catalogue, never writes it
    operator = make_key(session, "operator@skyline.example")
    _problem(
        client.patch(
            f"/api/v1/products/{product_id}", json={"published": False}, headers=auth(operator)
        ),
        403,
        "forbidden",
    )


def test_retiring_a_product_takes_it_off_the_storefront_and_keeps_its_orders(client, session, demo):
    token = make_key(session, SKYLINE_ADMIN)
    backup = product(session, "AZ-BACKUP")
    ordered = session.scalar(
        select(func.count(OrderItem.id)).where(OrderItem.product_id == backup.id)
    )
    assert client.get(f"/products/{backup.id}").status_code == 200
    retired = client.post(
        f"/api/v1/products/{backup.id}/retire", headers=auth(token, **{"Idempotency-Key": "r-1"})
    )
    assert retired.status_code == 200, retired.get_json()
    assert retired.get_json()["active"] is False and retired.get_json()["name"] == backup.name
    again = client.post(f"/api/v1/products/{backup.id}/retire", headers=auth(token))
    assert again.status_code == 200 and again.get_json() == retired.get_json()
    session.expire_all()
    assert session.get(Product, backup.id).active is False
    assert (
        session.scalar(select(func.count(OrderItem.id)).where(OrderItem.product_id == backup.id))
        == ordered
    )
    assert client.get(f"/products/{backup.id}").status_code == 404  # gone from the Storefront
    _problem(client.post("/api/v1/products/999999/retire", headers=auth(token)), 404, "not-found")
    operator = make_key(session, "operator@skyline.example")
    _problem(
        client.post(f"/api/v1/products/{backup.id}/retire", headers=auth(operator)),
        403,
        "forbidden",
    )


# --- speed: the orders list in a fixed number of queries, whatever the size ---------------------


def _list_counts(client, session, token) -> tuple[int, int]:
    """Statements of the first page and of a page three cursors deep."""
    client.get("/api/v1/orders?limit=5", headers=auth(token))  # last-used time written once
    engine = session.get_bind()
    with QueryCounter(engine) as first:
        page = client.get("/api/v1/orders?limit=5", headers=auth(token)).get_json()
    for _ in range(2):
        page = client.get(
            f"/api/v1/orders?limit=5&cursor={page['next_cursor']}", headers=auth(token)
        ).get_json()
    with QueryCounter(engine) as deep:
        deep_page = client.get(
            f"/api/v1/orders?limit=5&cursor={page['next_cursor']}", headers=auth(token)
        ).get_json()
    assert len(deep_page["data"]) == 5
    return first.count, deep.count


def test_the_orders_list_costs_the_same_queries_at_a_small_and_a_larger_size(client, session, demo):
    from bench import dataset

    token = make_key(session, SKYLINE_ADMIN)
    acme = account_id(session, "Acme Ltd")
    for _ in range(20):
        client.post("/api/v1/orders", json={"account_id": acme}, headers=auth(token))
    small = _list_counts(client, session, token)
    before = session.scalar(select(func.count(Order.id)))
    session.commit()
    dataset.load_bulk(
        session.get_bind().engine,
        dataset.Sizes(products=20, customers=20, orders=600),
        log=lambda _: None,
    )
    assert session.scalar(select(func.count(Order.id))) >= before + 600
    larger = _list_counts(client, session, token)
    assert small == larger, (small, larger)
    # the key (with its tenant's statuses token) and the page; the statuses kept (issue 19)
    assert small[0] <= 2, small


def test_flask_api_keys_create_prints_a_key_that_works_once_made(app, client, session, demo):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["api-keys", "create", "--as", "operator@skyline.example"])
    assert made.exit_code == 0, made.output
    token = made.output.strip()
    assert token.startswith("csk_") and "\n" not in token
    assert client.get("/api/v1/orders", headers=auth(token)).status_code == 200
    read = runner.invoke(
        args=["api-keys", "create", "--as", "admin@skyline.example", "--scope", "read"]
    ).output.strip()
    _problem(
        client.post("/api/v1/orders", json={"account_id": 1}, headers=auth(read)),
        403,
        "read-only-key",
    )
    unknown = runner.invoke(args=["api-keys", "create", "--as", "nobody@skyline.example"])
    assert unknown.exit_code != 0 and "No BSS user" in unknown.output


def test_a_plan_named_like_another_of_its_product_or_against_its_billing_kind_is_422(
    client, session, demo
):
    token = make_key(session, SKYLINE_ADMIN)
    products = dict(
        session.execute(
            select(Product.code, Product.id).where(Product.tenant_id == tenant_id(session))
        ).all()
    )
    price_list = _price_list(session)
    twin = client.post(
        f"/api/v1/products/{products['M365-STD']}/plans",
        json={
            "name": "MONTHLY",
            "billing_cycle": "monthly",
            "max_quantity": 5,
            "prices": {str(price_list): "1"},
        },
        headers=auth(token),
    )
    assert _problem(twin, 422, "validation-failed")["errors"]["name"] == [texts.PLAN_NAME_TAKEN]
    recurring = client.post(
        f"/api/v1/products/{products['MNG-FW']}/plans",
        json={
            "name": "Monthly",
            "billing_cycle": "monthly",
            "commitment_months": 12,
            "max_quantity": 5,
        },
        headers=auth(token),
    )
    errors = _problem(recurring, 422, "validation-failed")["errors"]
    assert errors["billing_cycle"] == [texts.PLAN_CYCLE_NOT_ONE_OFF]
    kind = client.patch(
        f"/api/v1/products/{products['MNG-FW']}",
        json={"billing_kind": "recurring"},
        headers=auth(token),
    )
    errors = _problem(kind, 422, "validation-failed")["errors"]
    assert errors["billing_kind"] == [texts.CATALOGUE_BILLING_KIND_PLANS_ONE_OFF]


def test_the_plan_document_says_the_bounds_the_server_keeps(client):
    """A tester read min_quantity >= 0 and trial days up to 2147483647 in the OpenAPI document;
    the server refused anything outside 1-100000, 0-365 and 0-120 (core.rules.catalogue)."""
    from core.rules import catalogue as rules

    document = client.get("/api/v1/openapi.json").get_json()
    plan = document["components"]["schemas"]["PlanInput"]["properties"]
    assert (plan["min_quantity"]["minimum"], plan["max_quantity"]["maximum"]) == (
        1,
        rules.MAX_QUANTITY,
    )
    assert plan["trial_days"]["maximum"] == rules.MAX_TRIAL_DAYS
    assert plan["commitment_months"]["maximum"] == rules.MAX_COMMITMENT_MONTHS
