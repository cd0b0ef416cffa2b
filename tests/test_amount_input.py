"""Amounts typed in forms or sent to the API are plain decimal numbers: ASCII digits, at most one
decimal point and at most two decimals. NaN, sNaN, Infinity, exponents (1e400), more digits
than any column holds, underscores ("1_0"), other scripts' digits ("١٢") and padded JSON
strings are refused with the field's message (422), never a 500, and nothing changes. One parser
(core.rules.amounts) serves every such field. Both engines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.models import Account, Invoice, Payment, PlanPrice, TenantBillingSettings, TenantVatRate
from core.rules import amounts
from tests.api_helpers import account_id, auth, make_key, product
from tests.conftest import login, text_of
from tests.dunning_helpers import collect, renewal_invoice
from tests.test_billing_web import _acme_run_invoice, _run
from tests.test_dunning_web import next_month

NOT_NUMBERS = [
    "NaN",
    "sNaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "1E2",
    "999999999999999999999999999999",
    "1_0",
    "١٢",
    "１２",
    "0x10",
    "+5",
    "1.2.3",
    ".",
]


# --- the shared parser ----------------------------------------------------------------------


@pytest.mark.parametrize("text", NOT_NUMBERS + ["1.234", "-5", " ", ""])
def test_the_shared_parser_refuses_anything_but_a_plain_amount(text):
    with pytest.raises(amounts.AmountInvalid):
        amounts.parse_amount(text)


@pytest.mark.parametrize(
    "text, value",
    [("0", "0.00"), ("12", "12.00"), ("12.5", "12.50"), ("007.10", "7.10"), ("12.", "12.00")],
)
def test_the_shared_parser_reads_plain_amounts(text, value):
    assert amounts.parse_amount(text) == Decimal(value)


def test_the_shared_parser_says_too_large_and_reads_the_decimal_comma_when_asked():
    with pytest.raises(amounts.AmountInvalid) as refused:
        amounts.parse_amount("1" * 40)
    assert refused.value.too_large
    assert amounts.parse_amount("12,5", comma=amounts.DECIMAL_COMMA) == Decimal("12.50")
    assert amounts.parse_amount("1,500.00", comma=amounts.THOUSANDS_COMMA) == Decimal("1500.00")
    with pytest.raises(amounts.AmountInvalid):
        amounts.parse_amount("12,5")


# --- BSS forms --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_credit_note_amount_that_is_no_number_is_a_422_and_issues_nothing(
    client, demo, session, text
):
    _run(session)
    invoice_id = _acme_run_invoice(session).id
    login(client, "admin@skyline.example", bss=True)
    notes = (
        select(func.count()).select_from(Invoice).where(Invoice.credit_note_for_id == invoice_id)
    )
    response = client.post(
        f"/bss/invoices/{invoice_id}/credit-note", data={"amount": text, "reason": "Test"}
    )
    assert response.status_code == 422, text
    assert texts.CREDIT_NOTE_AMOUNT_INVALID in text_of(response)
    assert session.scalar(notes) == 0


BILLING_FORM = {
    "legal_name": "Skyline Cloud Ltd",
    "address": "2 Main Street\nCork",
    "country": "IE",
    "vat_number": "",
    "default_vat_rate": "23",
    "payment_terms_days": "30",
    "invoice_prefix": "SC",
    "credit_note_prefix": "SC-CN",
    "rates": "DE 19",
}


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_setup_billing_refuses_a_vat_rate_that_is_no_number_and_saves_nothing(
    client, demo, session, text
):
    login(client, "admin@skyline.example", bss=True)
    settings = select(TenantBillingSettings.legal_name)
    before = (session.scalars(settings).all(), session.scalar(select(func.count(TenantVatRate.id))))
    default = client.post("/bss/setup/billing", data={**BILLING_FORM, "default_vat_rate": text})
    assert default.status_code == 422, text
    assert texts.BILLING_RATE_INVALID in text_of(default)
    per_country = client.post("/bss/setup/billing", data={**BILLING_FORM, "rates": f"DE {text}"})
    assert per_country.status_code == 422, text
    assert texts.BILLING_RATES_INVALID in text_of(per_country)
    after = (session.scalars(settings).all(), session.scalar(select(func.count(TenantVatRate.id))))
    assert after == before


@pytest.mark.parametrize("text", NOT_NUMBERS + ["1.234", "-5"])
def test_the_account_form_refuses_a_credit_limit_that_is_no_plain_amount(
    client, demo, session, text
):
    from tests.test_accounts_web import _form

    login(client, "admin@skyline.example")
    before = session.scalar(select(func.count(Account.id)))
    refused = client.post("/bss/accounts/new", data=_form(session, credit_limit=text))
    assert refused.status_code == 422, text
    assert texts.ACCOUNT_CREDIT_LIMIT_INVALID in text_of(refused)
    assert session.scalar(select(func.count(Account.id))) == before


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_recorded_payment_that_is_no_amount_is_a_422_and_records_nothing(
    client, demo, session, text
):
    invoice_id = renewal_invoice(session, "Globex Corp", next_month())
    assert collect(session, invoice_id) == "left_open"
    login(client, "admin@skyline.example")
    form = {
        "amount": text,
        "received_on": date.today().isoformat(),
        "reference": "BANK-77",
        "nonce": "abcdef123456",
    }
    refused = client.post(f"/bss/invoices/{invoice_id}/payments", data=form)
    assert refused.status_code == 422, text
    recorded = select(func.count(Payment.id)).where(Payment.recorded_by.is_not(None))
    assert session.scalar(recorded) == 0


# --- the API ----------------------------------------------------------------------------------

API_NOT_AMOUNTS = NOT_NUMBERS + ["1.234", " 5 ", "5 ", "-5", True, [], {}]


def _refused(response, field: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert field in str(response.get_json(force=True)["errors"]), response.get_json(force=True)


@pytest.mark.parametrize("value", API_NOT_AMOUNTS)
def test_the_api_refuses_a_credit_limit_that_is_no_plain_amount(client, session, demo, value):
    token = make_key(session, "admin@skyline.example")
    globex = account_id(session, "Globex Corp")
    before = session.get(Account, globex).credit_limit
    response = client.patch(
        f"/api/v1/accounts/{globex}",
        json={"credit_limit": value, "credit_reason": "x"},
        headers=auth(token),
    )
    _refused(response, "credit_limit")
    session.expire_all()
    assert session.get(Account, globex).credit_limit == before


def test_the_api_still_takes_a_plain_credit_limit_as_a_string_or_a_number(client, session, demo):
    token = make_key(session, "admin@skyline.example")
    globex = account_id(session, "Globex Corp")
    for value, stored in (("1600.5", "1600.50"), (1700, "1700.00"), (1800.25, "1800.25")):
        response = client.patch(
            f"/api/v1/accounts/{globex}",
            json={"credit_limit": value, "credit_reason": "reviewed"},
            headers=auth(token),
        )
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["credit_limit"] == stored


@pytest.mark.parametrize("value", ["1_0", "١٢", "1.234", " 5 ", "NaN", "1e3"])
def test_the_api_refuses_offer_prices_and_plan_prices_that_are_no_plain_amount(
    client, session, demo, value
):
    token = make_key(session, "admin@skyline.example")
    acme = account_id(session, "Acme Ltd")
    offer = client.post("/api/v1/offers", json={"account_id": acme}, headers=auth(token))
    plan = product(session, "M365-STD").plans[0]
    added = client.post(
        f"/api/v1/offers/{offer.get_json()['id']}/items",
        json={"plan_id": plan.id, "quantity": 1, "unit_price": value},
        headers=auth(token),
    )
    _refused(added, "unit_price")
    prices = session.execute(select(PlanPrice.id, PlanPrice.price).order_by(PlanPrice.id)).all()
    price_list = session.scalar(select(PlanPrice.price_list_id).where(PlanPrice.plan_id == plan.id))
    changed = client.patch(
        f"/api/v1/products/{plan.product_id}/plans/{plan.id}",
        json={"prices": {str(price_list): value}},
        headers=auth(token),
    )
    _refused(changed, "prices")
    after = session.execute(select(PlanPrice.id, PlanPrice.price).order_by(PlanPrice.id)).all()
    assert after == prices
