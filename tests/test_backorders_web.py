"""Back-orders in the BSS (PRODUCT.md section 8): the distributor's list, the ribbon, the
subscription view, activities / related e-mails / cases, and tenant isolation."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from core import texts
from core.db import write_transaction
from core.enums import AccountKind, ItemKind, OrderSource, PaymentMethod, Role, UserKind
from core.models import (
    Account,
    Case,
    Order,
    OrderActivity,
    OrderEmail,
    Plan,
    PlanPrice,
    PriceList,
    Product,
    ProductType,
    Subscription,
    SubscriptionHistory,
    User,
)
from core.services.execution import execute_order
from core.services.order_factory import ItemSpec
from core.services.tenants import create_tenant
from tests.conftest import FAST_HASH, login, soup, text_of
from tests.test_backorders_service import (
    NOW,
    addon_added,
    backorders_in,
    quantity_change,
    reseller_order,
    spec,
    tenant,
)


def latest_backorder(session) -> Order:
    return backorders_in(session, "distributor")[-1]


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- the distributor's list and the ribbon ----------------------------------------------------


def test_the_distributor_lists_the_backorders_of_its_tenant_resellers(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    page = client.get("/bss/backorders")
    assert page.status_code == 200
    for bo in backorders_in(session, "distributor"):
        assert bo.number in text_of(page)
    assert "Skyline Cloud" in text_of(page)


def test_a_backorder_shows_the_seed_ribbon_naming_the_reseller(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    bo = latest_backorder(session)
    expected = "This order was originated from Skyline Cloud Tenant Reseller purchases"
    for url in (f"/bss/orders/{bo.id}", f"/bss/orders/{bo.id}/records"):
        ribbon = soup(client.get(url)).find(class_="ribbon-backorder")
        assert ribbon is not None, url
        assert ribbon.get_text(strip=True) == expected
        assert ribbon["role"] == "status"


def test_an_ordinary_order_has_no_backorder_ribbon(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    order = reseller_order(session, "Acme Ltd", [spec(session, "M365-STD", 1)])
    page = client.get(f"/bss/orders/{order.id}/records")
    assert page.status_code == 200
    assert soup(page).find(class_="ribbon-backorder") is None


# --- the subscription view --------------------------------------------------------------------


def test_the_subscription_view_shows_a_new_subscriptions_backorder_as_its_order_field(
    client, demo, session
):
    login(client, "admin@nimbus.example", bss=True)
    bo = latest_backorder(session)  # the demo's executed M365-PREM order
    mirror = session.scalar(select(Subscription).where(Subscription.order_id == bo.id))
    listing = client.get("/bss/subscriptions")
    assert f"/bss/subscriptions/{mirror.id}" in listing.get_data(as_text=True)
    page = client.get(f"/bss/subscriptions/{mirror.id}")
    order_field = soup(page).find(id="subscription-order")
    assert order_field.get_text(strip=True) == bo.number
    assert order_field.a["href"] == f"/bss/orders/{bo.id}"


def test_the_subscription_view_shows_a_quantity_change_as_a_history_line(client, demo, session):
    execute_order(session, tenant(session, "reseller").id, quantity_change(session).id, now=NOW)
    bo = latest_backorder(session)
    line = session.scalar(select(SubscriptionHistory).where(SubscriptionHistory.order_id == bo.id))
    login(client, "admin@nimbus.example", bss=True)
    page = client.get(f"/bss/subscriptions/{line.subscription_id}")
    rows = soup(page).find(id="subscription-history").find_all("tr")
    row = next(r for r in rows if bo.number in r.get_text())
    assert "Quantity change" in row.get_text()
    assert "10" in row.get_text() and "12" in row.get_text()
    assert soup(page).find(id="subscription-order").get_text(strip=True) != bo.number


def test_the_subscription_view_shows_a_new_addons_backorder_as_its_source_type(
    client, demo, session
):
    execute_order(session, tenant(session, "reseller").id, addon_added(session).id, now=NOW)
    bo = latest_backorder(session)
    mirror = session.scalar(
        select(Subscription)
        .where(Subscription.tenant_id == bo.tenant_id, Subscription.account_id == bo.account_id)
        .order_by(Subscription.id.desc())
    )
    login(client, "admin@nimbus.example", bss=True)
    page = client.get(f"/bss/subscriptions/{mirror.id}")
    table = soup(page).find(id="subscription-addons")
    assert "Source Type" in table.get_text()
    row = next(r for r in table.find_all("tr") if "Advanced Threat Protection" in r.get_text())
    assert f"Order {bo.number}" in " ".join(row.get_text(" ").split())


# --- activities, related e-mails, cases -------------------------------------------------------


def test_the_distributor_adds_an_activity_to_a_backorder_with_a_plain_form(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    bo = latest_backorder(session)
    response = client.post(
        f"/bss/orders/{bo.id}/activities",
        data={
            "activity-subject": "Called Skyline about the renewal",
            "activity-notes": "They will confirm on Monday.",
            "next": f"/bss/orders/{bo.id}",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/bss/orders/{bo.id}")
    activity = session.scalar(select(OrderActivity).where(OrderActivity.order_id == bo.id))
    assert activity.subject == "Called Skyline about the renewal"
    assert activity.notes == "They will confirm on Monday."
    page = client.get(f"/bss/orders/{bo.id}")
    assert "Called Skyline about the renewal" in text_of(page)
    assert texts.ACTIVITY_ADDED in text_of(page)


def test_the_panel_is_swapped_in_place_for_htmx(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    bo = latest_backorder(session)
    response = client.post(
        f"/bss/orders/{bo.id}/emails",
        data={
            "email-sender": "sales@nimbus.example",
            "email-recipient": "purchasing@skyline.example",
            "email-subject": "Your Premium licences",
            "email-body": "Invoice to follow.",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.find("html") is None  # only the panel
    assert fragment.find(id="order-records") is not None
    assert "Your Premium licences" in text_of(response)
    email = session.scalar(select(OrderEmail).where(OrderEmail.order_id == bo.id))
    assert (email.sender, email.recipient) == ("sales@nimbus.example", "purchasing@skyline.example")


def test_the_distributor_creates_a_case_for_a_backorder(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    bo = latest_backorder(session)
    response = client.post(
        f"/bss/orders/{bo.id}/cases",
        data={
            "case-title": "Price check",
            "case-description": "Confirm the Partner price.",
            "case-status": "in_progress",
        },
    )
    assert response.status_code == 303
    case = session.scalar(select(Case).where(Case.order_id == bo.id))
    assert (case.title, case.status, case.tenant_id) == ("Price check", "in_progress", bo.tenant_id)
    assert "Price check" in text_of(client.get(f"/bss/orders/{bo.id}/records"))


def test_invalid_side_records_change_nothing_and_say_why(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    bo = latest_backorder(session)
    before = (count(session, OrderActivity), count(session, OrderEmail), count(session, Case))
    attempts = [
        ("activities", {"activity-subject": "  "}, texts.ACTIVITY_SUBJECT_REQUIRED),
        (
            "emails",
            {"email-sender": "not-an-address", "email-recipient": "a@b.example"},
            texts.EMAIL_ADDRESS_INVALID,
        ),
        ("cases", {"case-title": "X", "case-status": "solved"}, texts.CASE_STATUS_INVALID),
    ]
    for path, data, message in attempts:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(f"/bss/orders/{bo.id}/{path}", data=data, headers=headers)
            assert response.status_code == 422
            assert message in text_of(response)
            invalid = soup(response).find(attrs={"aria-invalid": "true"})
            assert invalid is not None
            assert soup(response).find(id=invalid["aria-describedby"]) is not None
    after = (count(session, OrderActivity), count(session, OrderEmail), count(session, Case))
    assert after == before


def test_a_redirect_after_a_side_record_never_leaves_the_site(client, demo, session):
    login(client, "admin@nimbus.example", bss=True)
    bo = latest_backorder(session)
    response = client.post(
        f"/bss/orders/{bo.id}/activities",
        data={"activity-subject": "Note", "next": "https://evil.example/"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/bss/orders/{bo.id}")


# --- tenant isolation -------------------------------------------------------------------------


def test_the_reseller_never_sees_the_distributors_backorders_or_mirrored_records(
    client, demo, session
):
    bo = latest_backorder(session)
    mirror = session.scalar(select(Subscription).where(Subscription.order_id == bo.id))
    login(client, "admin@skyline.example", bss=True)
    listing = client.get("/bss/backorders")
    assert listing.status_code == 200
    assert texts.BACKORDERS_NONE in text_of(listing)
    assert bo.number not in text_of(listing)
    assert client.get(f"/bss/orders/{bo.id}/records").status_code == 404
    assert client.get(f"/bss/subscriptions/{mirror.id}").status_code == 404
    subscriptions = client.get("/bss/subscriptions").get_data(as_text=True)
    assert f'/bss/subscriptions/{mirror.id}"' not in subscriptions
    before = count(session, OrderActivity), count(session, Case)
    for path, data in (
        ("activities", {"activity-subject": "peek"}),
        ("cases", {"case-title": "peek"}),
        ("emails", {"email-sender": "a@b.example", "email-recipient": "c@d.example"}),
    ):
        assert client.post(f"/bss/orders/{bo.id}/{path}", data=data).status_code == 404
    assert (count(session, OrderActivity), count(session, Case)) == before


def test_storefront_customers_cannot_reach_the_bss_pages(client, demo, session):
    login(client, "alice@acme.example", bss=False)
    bo = latest_backorder(session)
    for url in ("/bss/backorders", "/bss/subscriptions", f"/bss/orders/{bo.id}/records"):
        assert client.get(url).status_code in (302, 403)


def _second_distributor(session):
    """Another distributor with its own tenant reseller and one product both sell."""
    with write_transaction(session):
        other = create_tenant(session, name="Cumulus Wholesale", slug="other-dist")
        child = create_tenant(session, name="Stratus IT", slug="other-reseller", parent=other)
        for t in (other, child):
            kind = ProductType(tenant_id=t.id, name="Cloud Services")
            prices = PriceList(tenant_id=t.id, name="Standard")
            session.add_all([kind, prices])
            session.flush()
            product = Product(
                tenant_id=t.id, product_type_id=kind.id, code="M365-STD", name="M365 Standard"
            )
            session.add(product)
            session.flush()
            plan = Plan(product_id=product.id, name="Monthly")
            session.add(plan)
            session.flush()
            session.add(PlanPrice(plan_id=plan.id, price_list_id=prices.id, price=Decimal("9")))
            if t is other:
                session.add(
                    Account(
                        tenant_id=t.id,
                        name="Stratus IT",
                        kind=AccountKind.TENANT_RESELLER,
                        represents_tenant_id=child.id,
                        price_list_id=prices.id,
                        payment_method=PaymentMethod.ON_ACCOUNT,
                    )
                )
                session.add(
                    User(
                        tenant_id=t.id,
                        kind=UserKind.BSS,
                        role=Role.ADMIN,
                        email="admin@cumulus.example",
                        name="Cumulus Admin",
                        password_hash=generate_password_hash("demo-password", method=FAST_HASH),
                    )
                )
            else:
                customer = Account(tenant_id=t.id, name="Umbrella", price_list_id=prices.id)
                session.add(customer)
                session.flush()
                child_product, child_plan = product, plan
    from core.services.order_factory import build_order
    from core.services.statuses import StatusBook

    with write_transaction(session):
        order = build_order(
            session,
            tenant_id=child.id,
            account=customer,
            status=StatusBook.load(session, child.id).submitted(),
            items=[
                ItemSpec(
                    product_id=child_product.id,
                    plan_id=child_plan.id,
                    description="M365",
                    quantity=2,
                    unit_price=Decimal("9"),
                    kind=ItemKind.NEW,
                )
            ],
            source=OrderSource.BSS,
        )
    execute_order(session, child.id, order.id, now=NOW)
    return other


def test_each_distributor_sees_only_the_backorders_of_its_own_tenant_resellers(
    client, demo, session
):
    other = _second_distributor(session)
    theirs = session.scalar(
        select(Order).where(Order.tenant_id == other.id, Order.source == OrderSource.BACKORDER)
    )
    assert theirs is not None and theirs.backorder_reseller_name == "Stratus IT"
    their_mirror = session.scalar(select(Subscription).where(Subscription.order_id == theirs.id))
    login(client, "admin@nimbus.example", bss=True)
    table = soup(client.get("/bss/backorders")).find(id="backorders").get_text(" ")
    assert "Skyline Cloud" in table
    assert "Stratus IT" not in table and "Umbrella" not in table
    assert client.get(f"/bss/orders/{theirs.id}/records").status_code == 404
    assert client.get(f"/bss/subscriptions/{their_mirror.id}").status_code == 404
    client.post("/bss/logout")
    login(client, "admin@cumulus.example", bss=True)
    table = soup(client.get("/bss/backorders")).find(id="backorders").get_text(" ")
    assert theirs.number in table and "Skyline Cloud" not in table


# --- the demo, end to end ---------------------------------------------------------------------


def test_executing_a_change_in_the_resellers_bss_shows_a_backorder_in_the_distributors_bss(
    client, demo, session
):
    reseller_id = tenant(session, "reseller").id
    manual = session.scalar(
        select(Order).where(Order.tenant_id == reseller_id, Order.number == demo["orders"][0])
    )
    before = {bo.number for bo in backorders_in(session, "distributor")}
    login(client, "admin@skyline.example", bss=True)
    response = client.post(f"/bss/orders/{manual.id}/execute")
    assert response.status_code == 303
    client.post("/bss/logout")

    created = [bo for bo in backorders_in(session, "distributor") if bo.number not in before]
    assert len(created) == 1
    login(client, "admin@nimbus.example", bss=True)
    table = soup(client.get("/bss/backorders")).find(id="backorders").get_text(" ")
    assert created[0].number in table and "Acme Ltd" in table
    page = client.get(f"/bss/orders/{created[0].id}")
    assert texts.BACKORDER_RIBBON.format(reseller="Skyline Cloud") in text_of(page)
    assert "Dedicated Private Cloud" in text_of(page)
