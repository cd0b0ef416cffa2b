"""VAT and invoice arithmetic (issue 17): rate table, exempt, reverse charge, rounding, credits."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import texts
from core.rules import invoicing as inv
from core.rules.invoicing import Customer, VatTable

TABLE = VatTable("IE", Decimal("23.00"), {"DE": Decimal("19.00"), "FR": Decimal("20.00")})


@pytest.mark.parametrize(
    ("customer", "rate", "note"),
    [
        (Customer("IE"), "23.00", None),  # the seller's country: default rate
        (Customer("DE"), "19.00", None),  # a consumer in Germany: the table's rate
        (Customer("US"), "23.00", None),  # not in the table: the default rate
        (Customer(None), "23.00", None),
        (Customer("DE", "DE123456789"), "0.00", texts.REVERSE_CHARGE_NOTE),
        (Customer("GR", "EL123456789"), "0.00", texts.REVERSE_CHARGE_NOTE),
        (Customer(None, "FR12345678901"), "0.00", texts.REVERSE_CHARGE_NOTE),
        (Customer("IE", "IE6388047V"), "23.00", None),  # same member state: domestic VAT
        (Customer("DE", "DE12345"), "19.00", None),  # invalid format: no reverse charge
        (Customer("DE", "FR12345678901"), "19.00", None),  # number of another country
        (Customer("US", "DE123456789"), "23.00", None),
        (Customer("DE", "DE123456789", tax_exempt=True), "0.00", texts.TAX_EXEMPT_NOTE),
        (Customer("IE", None, tax_exempt=True), "0.00", texts.TAX_EXEMPT_NOTE),
    ],
)
def test_decide_tax(customer, rate, note):
    decision = inv.decide_tax(TABLE, customer)
    assert decision.rate == Decimal(rate)
    assert decision.note == note


def test_reverse_charge_wording_is_the_directives():
    assert "Article 196 Council Directive 2006/112/EC" in texts.REVERSE_CHARGE_NOTE
    assert texts.REVERSE_CHARGE_NOTE.startswith("Reverse charge: VAT to be accounted for by")


def test_seller_outside_the_eu_never_reverse_charges():
    table = VatTable("CH", Decimal("8.10"))
    assert inv.decide_tax(table, Customer("DE", "DE123456789")).rate == Decimal("8.10")


@pytest.mark.parametrize(
    ("net", "rate", "tax"),
    [
        ("10.00", "23", "2.30"),
        ("0.05", "23", "0.01"),
        ("0.02", "23", "0.00"),
        ("11.70", "19", "2.22"),
        ("1.50", "21", "0.32"),
        ("100.00", "0", "0.00"),
    ],
)
def test_line_tax_rounds_half_up_per_line(net, rate, tax):
    assert inv.line_tax(Decimal(net), Decimal(rate)) == Decimal(tax)


def test_totals_add_the_rounded_lines():
    lines = [(Decimal("0.05"), inv.line_tax(Decimal("0.05"), Decimal(23)))] * 3
    total = inv.totals(lines)
    assert (total.net, total.tax, total.gross) == (
        Decimal("0.15"),
        Decimal("0.03"),
        Decimal("0.18"),
    )


def test_credit_note_never_exceeds_what_is_left():
    inv.check_credit(Decimal("123.00"), Decimal("23.00"), Decimal("100.00"))
    with pytest.raises(inv.CreditTooLarge):
        inv.check_credit(Decimal("123.00"), Decimal("23.00"), Decimal("100.01"))
    with pytest.raises(inv.CreditTooLarge):
        inv.check_credit(Decimal("123.00"), Decimal("0"), Decimal("0"))
    with pytest.raises(inv.CreditTooLarge, match="Line 1"):
        inv.check_credit(
            Decimal("123.00"),
            Decimal("0"),
            Decimal("60"),
            [("1", Decimal("50.00"), Decimal("0"), Decimal("60.00"))],
        )


@pytest.mark.parametrize(
    ("status", "gross", "credited", "paid", "after"),
    [
        ("open", "10", "10", "0", "void"),  # credited in full before any payment
        ("open", "10", "5", "0", "open"),
        ("paid", "10", "10", "10", "paid"),
        # an invoice that received payments is never void: settled, the excess owed back
        ("open", "82.40", "82.40", "30.00", "paid"),
        ("open", "82.40", "52.40", "30.00", "paid"),  # payments and credit cover it
        ("open", "82.40", "50.00", "30.00", "open"),  # 2.40 still owed
    ],
)
def test_status_after_credit(status, gross, credited, paid, after):
    assert (
        inv.status_after_credit(status, Decimal(gross), Decimal(credited), Decimal(paid)) == after
    )


def test_format_number():
    assert inv.format_number("INV", 42) == "INV-000042"


amounts = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)
rates = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(amounts, rates)
def test_split_gross_adds_up_exactly(gross, rate):
    net, tax = inv.split_gross(gross, rate)
    assert net + tax == inv.money(gross)
    assert net >= 0 and tax >= 0
    assert abs(tax - inv.line_tax(net, rate)) <= Decimal("0.01")


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(amounts, rates), min_size=1, max_size=20))
def test_gross_is_net_plus_tax(lines):
    pairs = [(inv.money(n), inv.line_tax(n, r)) for n, r in lines]
    total = inv.totals(pairs)
    assert total.gross == total.net + total.tax
    assert total.net == sum((p[0] for p in pairs), Decimal(0))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(amounts, st.lists(amounts, max_size=10))
def test_credit_notes_never_exceed_their_invoice(gross, requests):
    """Whatever is asked, the accepted credit notes add up to at most the invoice's gross."""
    credited = Decimal("0.00")
    for wanted in requests:
        try:
            inv.check_credit(gross, credited, wanted)
        except inv.CreditTooLarge:
            continue
        credited += wanted
    assert credited <= gross
    assert inv.creditable(gross, credited) == gross - credited
