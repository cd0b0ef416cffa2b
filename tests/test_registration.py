"""Storefront self-registration (issue 14 E), per tenant setting: off, or on with a BSS user's
approval before the first order; the same answer whether the address is in use or not."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Account, Notification, Product, Tenant, User
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for, reset_throttling
from tests.test_people import GOOD_PASSWORD

FORM = {
    "company": "Wayne Enterprises",
    "name": "Bruce Wayne",
    "email": "it@wayne.example",
    "password": GOOD_PASSWORD,
    "confirm": GOOD_PASSWORD,
    "country": "IE",
}


@pytest.fixture(autouse=True)
def _fresh_throttling():
    reset_throttling()
    yield
    reset_throttling()


def _count(session, model, *where):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _kinds(session, email):
    session.rollback()
    return list(session.scalars(select(Notification.kind).where(Notification.recipient == email)))


def test_a_new_customer_registers_then_orders_once_approved(app, demo, session):
    visitor = client_for(app)
    answer = visitor.post("/register", data=FORM)
    assert answer.status_code == 303
    assert _kinds(session, "it@wayne.example") == ["registration_received"]
    account = session.scalar(select(Account).where(Account.name == "Wayne Enterprises"))
    assert account.registration_pending
    login(visitor, "it@wayne.example", GOOD_PASSWORD, bss=False)
    product = session.scalar(
        select(Product).where(Product.code == "AZ-BACKUP", Product.tenant_id == account.tenant_id)
    )
    added = visitor.post(
        f"/products/{product.id}/add", data={"plan_id": product.plans[0].id, "quantity": 1}
    )
    assert added.status_code == 303, added.get_data(as_text=True)[:2000]
    refused = visitor.post("/checkout")
    assert refused.headers["Location"] == "/basket"
    assert "waits for our approval" in text_of(visitor.get("/basket"))

    admin = client_for(app)
    login(admin, "admin@skyline.example")
    assert "Waits for approval" in text_of(admin.get("/bss/accounts?q=wayne"))
    for _ in range(2):  # approving twice is approving once
        assert admin.post(f"/bss/accounts/{account.id}/approve").status_code == 303
    assert _kinds(session, "it@wayne.example").count("registration_approved") == 1
    started = visitor.post("/checkout")
    assert started.headers["Location"].endswith("/billing")


def test_an_address_in_use_gets_the_same_answer_and_an_e_mail(app, demo, session):
    accounts_before = _count(session, Account)
    first = client_for(app).post("/register", data=FORM)
    again = client_for(app).post("/register", data={**FORM, "company": "Wayne Two"})
    assert (first.status_code, first.headers["Location"]) == (
        again.status_code,
        again.headers["Location"],
    )
    assert _count(session, Account) == accounts_before + 1
    assert _kinds(session, "it@wayne.example") == [
        "registration_received",
        "registration_exists",
    ]


def test_bad_input_is_refused_and_creates_nothing(app, demo, session):
    before = _count(session, User)
    refused = client_for(app).post("/register", data={**FORM, "password": "password"})
    assert refused.status_code == 422 and "at least 12" in text_of(refused)
    assert _count(session, User) == before


def test_registration_off_creates_nothing(app, demo, session):
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    assert (
        admin.post(
            "/bss/setup/security", data={"policy": "off", "self_registration": "off"}
        ).status_code
        == 303
    )
    session.rollback()
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    assert tenant.self_registration == "off"
    visitor = client_for(app)
    assert "Registration is closed" in text_of(visitor.get("/register"))
    before = _count(session, Account)
    assert visitor.post("/register", data=FORM).status_code == 409
    assert _count(session, Account) == before


def test_a_german_business_registers_with_its_country_and_vat_number_and_pays_its_vat(
    app, demo, session
):
    """The seller is Irish (23 %): a German business is charged Germany's 19 %, or nothing
    under the EU reverse charge with its VAT number, never the seller's rate."""
    from core.services.invoicing import TaxContext

    visitor = client_for(app)
    data = dict(FORM, company="Kraftwerk GmbH", email="it@kraftwerk.example", country="de")
    assert visitor.post("/register", data=data).status_code == 303
    data = dict(
        FORM,
        company="Bauhaus AG",
        email="it@bauhaus.example",
        country="DE",
        vat_number="de 123.456.789",
    )
    assert visitor.post("/register", data=data).status_code == 303
    session.rollback()
    plain = session.scalar(select(Account).where(Account.name == "Kraftwerk GmbH"))
    business = session.scalar(select(Account).where(Account.name == "Bauhaus AG"))
    assert (plain.country, plain.vat_number) == ("DE", None)
    assert (business.country, business.vat_number) == ("DE", "DE123456789")
    tax = TaxContext.load(session, plain.tenant_id)
    assert str(tax.decide(plain).rate) == "19.00"
    assert tax.decide(business).reverse_charge


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"country": ""}, "country", "REGISTRATION_COUNTRY_INVALID"),
        ({"country": "Germany"}, "country", "REGISTRATION_COUNTRY_INVALID"),
        ({"country": "XX"}, "country", "REGISTRATION_COUNTRY_INVALID"),
        ({"country": "DE", "vat_number": "DE12"}, "vat_number", "ACCOUNT_VAT_INVALID"),
        ({"country": "FR", "vat_number": "DE123456789"}, "vat_number", "REGISTRATION_VAT_COUNTRY"),
    ],
)
def test_the_country_is_required_and_the_vat_number_checked(
    app, demo, session, fields, field, message
):
    from core import texts
    from tests.conftest import soup

    visitor = client_for(app)
    answer = visitor.post("/register", data=dict(FORM, email="x@wrong.example", **fields))
    assert answer.status_code == 422
    box = soup(answer).find(attrs={"name": field}).find_parent(class_="field")
    assert getattr(texts, message) in box.get_text(" ")
    assert _count(session, Account, Account.email == "x@wrong.example") == 0


def test_after_registering_the_page_says_what_happens_next_not_an_empty_form(app, demo, session):
    """A tester registered and saw the same form again, emptied, under the thank-you line."""
    visitor = client_for(app)
    answer = visitor.post("/register", data=FORM)
    assert answer.headers["Location"].endswith("/register/received")
    received = visitor.get(answer.headers["Location"])
    assert received.status_code == 200
    html = soup(received)
    assert html.find("form", action="/register") is None
    assert "check your mailbox" in text_of(received)
    assert text_of(received).count("check your mailbox") == 1  # once, not also as a flash
    assert html.find("a", href="/login") is not None
