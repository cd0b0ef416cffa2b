"""BSS accounts at the service level (issue 14), on both engines: create, edit, credit limit
changes and their history (and the next placement obeys them), deactivation, the list's keyset
pages, search and kind filter, the account page's credit figures."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from core import texts
from core.enums import AccountKind, HoldReason, PaymentMethod
from core.models import (
    Account,
    AuditEntry,
    CreditLimitChange,
    OrderHold,
    PriceList,
    Tenant,
    User,
)
from core.rules.accounts import AccountInput
from core.rules.statuses import StatusKey
from core.services import accounts, checkout
from core.services import basket as basket_service
from core.services.errors import ValidationFailed
from tests.test_storefront_checkout import add, status_key, user


def tenant(session, slug="reseller") -> Tenant:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def price_list(session, t, name="Standard") -> PriceList:
    return session.scalar(
        select(PriceList).where(PriceList.tenant_id == t.id, PriceList.name == name)
    )


def admin(session) -> User:
    return user(session, "admin@skyline.example")


def values(session, **changes) -> AccountInput:
    t = tenant(session)
    base = dict(
        name="Wayne Enterprises",
        kind=AccountKind.END_CUSTOMER,
        price_list_id=price_list(session, t).id,
        payment_method=PaymentMethod.ON_ACCOUNT,
        credit_limit=Decimal("1500.00"),
        billing_name="Wayne Enterprises Ltd",
        billing_address="1007 Mountain Drive, Gotham",
        billing_email="Billing@Wayne.example",
        vat_number="de 123 456 789",
        timezone="Europe/Berlin",
        manager_user_id=user(session, "operator@skyline.example").id,
    )
    base.update(changes)
    return AccountInput(**base)


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_admin_creates_an_account_and_its_credit_limit_starts_its_history(session, demo):
    t = tenant(session)
    account = accounts.create_account(session, t.id, admin(session), values(session))
    session.refresh(account)
    assert account.vat_number == "DE123456789"
    assert account.email == "billing@wayne.example"
    assert account.timezone == "Europe/Berlin" and account.active
    assert account.credit_limit == Decimal("1500.00")
    change = session.scalar(
        select(CreditLimitChange).where(CreditLimitChange.account_id == account.id)
    )
    assert (change.from_limit, change.to_limit) == (None, Decimal("1500.00"))
    assert change.actor_user_id == admin(session).id and change.reason
    assert count(session, AuditEntry, AuditEntry.entity == "account") == 1


def test_bad_input_is_refused_field_by_field_and_creates_nothing(session, demo):
    t = tenant(session)
    other_tenant_list = price_list(session, tenant(session, "distributor"))
    before = count(session, Account)
    bad = values(
        session,
        name="",
        kind="emperor",
        price_list_id=other_tenant_list.id,
        payment_method="cash",
        billing_email="not-an-address",
        vat_number="DE12345",
        timezone="Mars/Olympus",
        manager_user_id=user(session, "alice@acme.example").id,
    )
    with pytest.raises(ValidationFailed) as refused:
        accounts.create_account(session, t.id, admin(session), bad)
    assert set(refused.value.errors) == {
        "name",
        "kind",
        "price_list_id",
        "payment_method",
        "billing_email",
        "vat_number",
        "timezone",
        "manager_user_id",
    }
    assert count(session, Account) == before


def test_creating_the_same_account_twice_makes_one(session, demo):
    t = tenant(session)
    accounts.create_account(session, t.id, admin(session), values(session))
    with pytest.raises(ValidationFailed) as again:
        accounts.create_account(session, t.id, admin(session), values(session))
    assert "name" in again.value.errors
    assert count(session, Account, Account.name == "Wayne Enterprises") == 1


def test_an_account_name_is_taken_whatever_its_letters_case(session, demo):
    t = tenant(session)
    accounts.create_account(session, t.id, admin(session), values(session))
    with pytest.raises(ValidationFailed) as shouted:
        accounts.create_account(
            session, t.id, admin(session), values(session, name="WAYNE ENTERPRISES")
        )
    assert shouted.value.errors["name"] == [texts.ACCOUNT_NAME_TAKEN]
    assert count(session, Account, func.lower(Account.name) == "wayne enterprises") == 1
    acme = session.scalar(select(Account).where(Account.name == "Acme Ltd"))
    form = AccountInput(**accounts.input_from_account(acme))
    with pytest.raises(ValidationFailed) as renamed:
        accounts.update_account(
            session, t.id, admin(session), acme.id, replace(form, name="wayne enterprises")
        )
    assert renamed.value.errors["name"] == [texts.ACCOUNT_NAME_TAKEN]
    # an account may change the case of its own name
    recased = accounts.update_account(
        session, t.id, admin(session), acme.id, replace(form, name="ACME Ltd")
    )
    assert recased.name == "ACME Ltd"


def test_a_tenant_reseller_stands_for_a_child_tenant_of_the_distributor(session, demo):
    distributor = tenant(session, "distributor")
    nimbus_admin = user(session, "admin@nimbus.example")
    base = dict(
        kind=AccountKind.TENANT_RESELLER,
        price_list_id=price_list(session, distributor, "Partner").id,
        manager_user_id=None,
        name="Skyline Cloud (second)",
    )
    with pytest.raises(ValidationFailed) as refused:
        accounts.create_account(session, distributor.id, nimbus_admin, values(session, **base))
    assert "represents_tenant_id" in refused.value.errors
    child = tenant(session, "reseller")
    made = accounts.create_account(
        session,
        distributor.id,
        nimbus_admin,
        values(session, represents_tenant_id=child.id, **base),
    )
    assert made.represents_tenant_id == child.id


def test_a_credit_limit_change_needs_a_reason_and_is_recorded_once(session, demo):
    t = tenant(session)
    globex = session.scalar(select(Account).where(Account.name == "Globex Corp"))
    before = globex.credit_limit
    current = accounts.input_from_account(globex)
    raised = values(session, **{**_input(current), "credit_limit": Decimal("2500.00")})
    with pytest.raises(ValidationFailed) as refused:
        accounts.update_account(session, t.id, admin(session), globex.id, raised, credit_reason="")
    assert "credit_reason" in refused.value.errors
    session.refresh(globex)
    assert globex.credit_limit == before
    for _ in range(2):  # a retry of the same save records nothing more
        accounts.update_account(
            session, t.id, admin(session), globex.id, raised, credit_reason="Paid up front"
        )
    changes = list(
        session.scalars(select(CreditLimitChange).where(CreditLimitChange.account_id == globex.id))
    )
    assert [(c.from_limit, c.to_limit, c.reason) for c in changes] == [
        (before, Decimal("2500.00"), "Paid up front")
    ]
    assert changes[0].actor_label.startswith("Sam Admin")


def _input(current: dict) -> dict:
    data = dict(current)
    data["credit_limit"] = Decimal(data["credit_limit"]) if data["credit_limit"] else None
    return data


def test_a_raised_credit_limit_takes_effect_on_the_next_placement(session, demo):
    t = tenant(session)
    bob = user(session, "bob@globex.example")
    globex = session.get(Account, bob.account_id)
    current = _input(accounts.input_from_account(globex))
    lowered = values(session, **{**current, "credit_limit": Decimal("0")})
    accounts.update_account(session, t.id, admin(session), globex.id, lowered, "Unpaid invoice")

    add(session, bob, "AZ-BACKUP", 1)
    held = checkout.start_checkout(session, bob.tenant_id, bob)
    checkout.place(session, bob.tenant_id, bob, held.id)
    hold = session.scalar(select(OrderHold).where(OrderHold.order_id == held.id))
    assert hold is not None and hold.reason == HoldReason.CREDIT_LIMIT

    raised = values(session, **{**current, "credit_limit": Decimal("9000")})
    accounts.update_account(session, t.id, admin(session), globex.id, raised, "Bank guarantee")

    add(session, bob, "AZ-BACKUP", 1)
    following = checkout.start_checkout(session, bob.tenant_id, bob)
    checkout.place(session, bob.tenant_id, bob, following.id)
    assert status_key(session, following) == StatusKey.EXECUTED


def test_the_account_page_shows_the_credit_the_checkout_decides_with(session, demo):
    t = tenant(session)
    globex = session.scalar(select(Account).where(Account.name == "Globex Corp"))
    page = accounts.account_page(session, t.id, globex.id)
    state = basket_service.credit_state(session, t.id, globex, Decimal("0"))
    assert page.open_balance == state.balance
    assert page.available_credit == state.available
    assert page.available_credit == globex.credit_limit - page.open_balance
    assert [u.email for u in page.users] == ["bob@globex.example"]


def test_deactivating_twice_is_deactivating_once(session, demo):
    t = tenant(session)
    acme = session.scalar(select(Account).where(Account.name == "Acme Ltd"))
    for _ in range(2):
        accounts.set_active(session, t.id, admin(session), acme.id, False)
    session.refresh(acme)
    assert not acme.active
    assert count(session, AuditEntry, AuditEntry.action == "deactivate") == 1


def _bulk_accounts(session, t, count_, kind=AccountKind.END_CUSTOMER, prefix="Bulk"):
    session.execute(
        insert(Account),
        [
            {
                "tenant_id": t.id,
                "name": f"{prefix} {n:05d}",
                "kind": kind,
                "payment_method": "card",
                "timezone": "UTC",
            }
            for n in range(count_)
        ],
    )
    session.commit()


def test_the_list_walks_every_account_once_page_by_page(session, demo):
    t = tenant(session)
    _bulk_accounts(session, t, 120)
    seen, cursor = [], None
    while True:
        page = accounts.list_accounts(
            session, t.id, accounts.AccountFilters(after=cursor), page_size=50
        )
        seen += [r.name for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    total = count(session, Account, Account.tenant_id == t.id)
    assert len(seen) == total == len(set(seen))


def test_search_by_name_and_filter_by_kind(session, demo):
    t = tenant(session)
    _bulk_accounts(session, t, 5, AccountKind.STANDARD_RESELLER, prefix="Partner")
    found = accounts.list_accounts(session, t.id, accounts.AccountFilters(text="glob"))
    assert [r.name for r in found.rows] == ["Globex Corp"]
    resellers = accounts.list_accounts(
        session, t.id, accounts.AccountFilters(kind=AccountKind.STANDARD_RESELLER)
    )
    assert {r.kind for r in resellers.rows} == {AccountKind.STANDARD_RESELLER}
    assert len(resellers.rows) == 6  # BlueSky IT and the five partners
    both = accounts.list_accounts(
        session, t.id, accounts.AccountFilters(text="BLUE", kind=AccountKind.STANDARD_RESELLER)
    )
    assert [r.name for r in both.rows] == ["BlueSky IT"]
    wildcard = accounts.list_accounts(session, t.id, accounts.AccountFilters(text="%_"))
    assert len(wildcard.rows) == count(session, Account, Account.tenant_id == t.id)


def test_a_forged_cursor_is_the_first_page(session, demo):
    t = tenant(session)
    first = accounts.list_accounts(session, t.id, accounts.AccountFilters())
    for forged in ("!!!", "bm90IGpzb24", "WzEsIDJd", "WyJhIiwgMTAwMDAwMDAwMDAwMDAwMDAwMDAwXQ"):
        again = accounts.list_accounts(session, t.id, accounts.AccountFilters(after=forged))
        assert [r.id for r in again.rows] == [r.id for r in first.rows]


def test_the_country_and_tax_exemption_are_set_in_the_bss_and_decide_the_vat(session, demo):
    """BSS › Accounts sets what self-registration asks (the country) and what only staff decide
    (tax-exempt): the VAT of the account's orders and invoices follows them."""
    from core.services.invoicing import TaxContext

    t = tenant(session)
    account = accounts.create_account(
        session, t.id, admin(session), values(session, country="de", vat_number="")
    )
    session.refresh(account)
    assert (account.country, account.tax_exempt) == ("DE", False)
    context = TaxContext.load(session, t.id)
    assert context.decide(account).rate == Decimal("19.00")  # Germany's rate (demo settings)
    current = accounts.input_from_account(account)
    assert (current["country"], current["tax_exempt"]) == ("DE", False)
    accounts.update_account(
        session, t.id, admin(session), account.id, AccountInput(**{**current, "tax_exempt": True})
    )
    session.refresh(account)
    decision = TaxContext.load(session, t.id).decide(account)
    assert account.tax_exempt and decision.exempt and decision.rate == 0


def test_a_country_that_is_not_a_code_or_does_not_match_the_vat_number_is_refused(session, demo):
    t = tenant(session)
    before = count(session, Account)
    for country, vat, field in (
        ("Germany", "", "country"),
        ("XX", "", "country"),
        ("FR", "DE123456789", "vat_number"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            accounts.create_account(
                session, t.id, admin(session), values(session, country=country, vat_number=vat)
            )
        assert set(refused.value.errors) == {field}, (country, vat)
    assert count(session, Account) == before
    # no country stays allowed: the seller's default rate, or the VAT number's country
    account = accounts.create_account(
        session, t.id, admin(session), values(session, name="No Country Ltd", country="")
    )
    assert account.country is None
