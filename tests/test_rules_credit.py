"""Rule 4.7: available credit and by how much a basket exceeds it."""

from decimal import Decimal as D

from core.rules import credit


def test_without_a_credit_limit_nothing_is_enforced():
    assert credit.available_credit(None, D("1000")) is None
    assert credit.credit_excess(None, D("1000"), D("99999")) == D("0.00")


def test_available_credit_is_the_limit_minus_unpaid_invoices_and_unexecuted_orders():
    balance = credit.open_balance(D("120.00"), D("80.00"))
    assert balance == D("200.00")
    assert credit.available_credit(D("500.00"), balance) == D("300.00")


def test_a_total_within_the_available_credit_exceeds_nothing():
    assert credit.credit_excess(D("500"), D("200"), D("300")) == D("0.00")


def test_the_excess_is_the_amount_above_the_available_credit():
    assert credit.credit_excess(D("500"), D("200"), D("300.01")) == D("0.01")


def test_an_account_already_over_its_limit_exceeds_by_the_whole_total():
    # its available credit is nothing (never negative), and the total exceeds nothing by
    # itself: the ribbon said "available €0.00 · this basket €9.00 · exceeds by €27.00"
    assert credit.credit_excess(D("500"), D("900"), D("20.60")) == D("20.60")


def test_the_credit_ribbon_is_silent_for_an_empty_basket_or_an_account_without_a_limit():
    assert credit.credit_ribbon(D("500"), D("900"), D("0.00"), has_lines=False) is None
    assert credit.credit_ribbon(None, D("0"), D("99.00"), has_lines=True) is None


def test_the_credit_ribbon_states_limit_used_available_and_the_basket_total():
    ribbon = credit.credit_ribbon(D("1500.00"), D("900.00"), D("9.00"), has_lines=True)
    assert (ribbon.limit, ribbon.used, ribbon.available, ribbon.total) == (
        D("1500.00"),
        D("900.00"),
        D("600.00"),
        D("9.00"),
    )
    assert not ribbon.over


def test_the_credit_ribbon_warns_by_how_much_a_basket_exceeds_and_never_shows_negative_credit():
    over = credit.credit_ribbon(D("1500.00"), D("900.00"), D("618.00"), has_lines=True)
    assert over.over and over.excess == D("18.00")
    already_over = credit.credit_ribbon(D("500.00"), D("900.00"), D("20.60"), has_lines=True)
    assert already_over.available == D("0.00") and already_over.excess == D("20.60")
