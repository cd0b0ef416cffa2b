"""Preview states of the BSS accounts pages (issue 14): fixture data only, no database.
Registered by webapp/preview_fixtures.py (imported at its end)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace as NS

from core.rules.accounts import KIND_LABELS
from webapp.preview_fixtures import (
    ACME,
    BSS_ADMIN,
    BSS_OPERATOR,
    CAROL,
    GLOBEX,
    STATUS,
    ago,
    state,
)

STANDARD = NS(id=1, name="Standard")
PARTNER = NS(id=2, name="Partner")


def _row(id_, name, kind="end_customer", **extra):
    values = dict(
        id=id_,
        name=name,
        kind=kind,
        email=f"billing@{name.split()[0].lower()}.example",
        credit_limit=None,
        active=True,
        price_list="Standard",
        reseller=None,
        registration_pending=False,
    )
    values.update(extra)
    return NS(**values)


ROWS = [
    _row(11, "Acme Ltd"),
    _row(14, "BlueSky IT", "standard_reseller", price_list="Partner"),
    _row(12, "Globex Corp", credit_limit=Decimal("500.00")),
    _row(13, "Initech", reseller="BlueSky IT"),
    _row(15, "Umbrella Corporation", active=False),
    _row(18, "Wayne Enterprises", registration_pending=True),
]


def _list_form(**data):
    from bss_admin.accounts.forms import AccountFilterForm

    return AccountFilterForm(formdata=None, data=data)


def _list(rows, next_url=None, first_url=None, **data):
    return {
        "form": _list_form(**data),
        "result": NS(rows=rows, next_cursor="x" if next_url else None),
        "kind_labels": KIND_LABELS,
        "next_url": next_url,
        "first_url": first_url,
    }


@state("bss", "accounts", "bss_admin/accounts/list.html", "Accounts list", user=BSS_ADMIN)
def bss_accounts():
    return _list(ROWS, next_url="/_preview/bss/accounts")


@state(
    "bss",
    "accounts-none",
    "bss_admin/accounts/list.html",
    "Accounts list: nothing matches (operator: no New account)",
    user=BSS_OPERATOR,
)
def bss_accounts_none():
    return _list([], first_url="/_preview/bss/accounts", q="zzz", kind="tenant_reseller")


def _account_form(data=None, errors=None, many=False):
    from bss_admin.accounts.forms import AccountForm

    form = AccountForm(formdata=None, data=data or {})
    form.price_list_id.choices = [("", "Choose a price list"), (1, "Standard"), (2, "Partner")]
    form.manager_user_id.choices = [("", "— nobody —"), (31, "Ada Admin"), (32, "Otto Operator")]
    form.reseller_account_id.choices = [("", "— none —"), (14, "BlueSky IT")]
    form.represents_tenant_id.choices = [("", "— none —")]
    pickers = {
        "managers": NS(many=many, choices=form.manager_user_id.choices[1:]),
        "resellers": NS(many=many, choices=[] if many else [(14, "BlueSky IT")]),
        "children": [],
    }
    return {"form": form, "errors": errors or {}, "account": None, **pickers}


@state("bss", "account-new", "bss_admin/accounts/form.html", "New account", user=BSS_ADMIN)
def bss_account_new():
    return _account_form({"timezone": "UTC", "payment_method": "card"})


@state(
    "bss",
    "account-new-invalid",
    "bss_admin/accounts/form.html",
    "New account, validation errors (many BSS users and resellers: search fields)",
    user=BSS_ADMIN,
)
def bss_account_new_invalid():
    from core import texts

    context = _account_form(
        {
            "name": "",
            "vat_number": "DE12",
            "country": "Germany",
            "timezone": "Mars/Olympus",
            "credit_limit": "-5",
        },
        {
            "name": [texts.ACCOUNT_NAME_REQUIRED],
            "country": [texts.REGISTRATION_COUNTRY_INVALID],
            "vat_number": [texts.ACCOUNT_VAT_INVALID],
            "timezone": [texts.ACCOUNT_TIMEZONE_INVALID],
            "credit_limit": [texts.ACCOUNT_CREDIT_LIMIT_INVALID],
            "price_list_id": [texts.ACCOUNT_PRICE_LIST_REQUIRED],
            "manager_search": [texts.ACCOUNT_MANAGER_SEARCH.format(count=240)],
        },
        many=True,
    )
    return context


@state(
    "bss",
    "account-edit-credit",
    "bss_admin/accounts/form.html",
    "Edit account: a credit limit change without its reason",
    user=BSS_ADMIN,
)
def bss_account_edit_credit():
    from core import texts

    context = _account_form(
        {
            "name": GLOBEX.name,
            "kind": "end_customer",
            "price_list_id": 1,
            "payment_method": "on_account",
            "credit_limit": "750.00",
            "billing_email": GLOBEX.email,
            "timezone": "Europe/Athens",
        },
        {"credit_reason": [texts.CREDIT_LIMIT_REASON_REQUIRED]},
    )
    context["account"] = NS(id=GLOBEX.id, name=GLOBEX.name)
    return context


def _page(account, **extra):
    orders = [
        (
            NS(
                id=301,
                number="SO0000301",
                order_date=ago(days=3),
                total=Decimal("540.00"),
                currency="EUR",
            ),
            STATUS["submitted"],
        ),
        (
            NS(
                id=298,
                number="SO0000298",
                order_date=ago(days=40),
                total=Decimal("90.00"),
                currency="EUR",
            ),
            STATUS["executed"],
        ),
    ]
    values = dict(
        account=account,
        manager=NS(name="Otto Operator"),
        represents=None,
        orders=orders,
        subscriptions=[
            NS(
                id=401,
                product=NS(name="Microsoft 365 Business Standard"),
                plan=NS(name="Monthly"),
                quantity=10,
                status="active",
                is_trial=False,
            ),
        ],
        invoices=[
            NS(
                id=120,
                number="INV-000120",
                issued_at=ago(days=40),
                issue_date=ago(days=40).date(),
                total=Decimal("90.00"),
                currency="EUR",
                paid=False,
                kind="invoice",  # recurring billing (issue 17)
                status="open",
            ),
        ],
        open_balance=Decimal("630.00"),
        available_credit=Decimal("120.00"),
        users=[NS(name="Bob Globex", email="bob@globex.example", active=True)],
        customers=[],
        credit_history=[
            NS(
                at=ago(days=2),
                actor_label="Ada Admin <admin@skyline.example>",
                from_limit=Decimal("500.00"),
                to_limit=Decimal("750.00"),
                reason="Two invoices paid early",
            ),
            NS(
                at=ago(days=90),
                actor_label="Ada Admin <admin@skyline.example>",
                from_limit=None,
                to_limit=Decimal("500.00"),
                reason="Set when the account was created",
            ),
        ],
    )
    values.update(extra)
    from webapp.people_forms import ColleagueForm

    return {
        "a": NS(**values),
        "kind_labels": KIND_LABELS,
        "invite": ColleagueForm(formdata=None),
        "invite_errors": {},
    }


def _account(**values):
    base = dict(
        id=12,
        name=GLOBEX.name,
        kind="end_customer",
        email=GLOBEX.email,
        payment_method="on_account",
        credit_limit=Decimal("750.00"),
        active=True,
        reseller=None,
        billing_name="Globex Corporation",
        billing_address="1 Globex Way, Cypress Creek",
        vat_number="EL123456789",
        country="GR",
        tax_exempt=False,
        timezone="Europe/Athens",
        price_list=STANDARD,
        registration_pending=False,
    )
    base.update(values)
    return NS(**base)


@state(
    "bss",
    "account",
    "bss_admin/accounts/detail.html",
    "Account page: credit, history, users, orders (admin)",
    user=BSS_ADMIN,
)
def bss_account():
    return _page(_account())


@state(
    "bss",
    "account-registration-pending",
    "bss_admin/accounts/detail.html",
    "Account page: a self-registered account waiting for approval",
    user=BSS_ADMIN,
)
def bss_account_pending():
    account = _account(
        id=18,
        name="Wayne Enterprises",
        credit_limit=None,
        registration_pending=True,
        payment_method="card",
        vat_number=None,
        tax_exempt=True,
    )
    return _page(
        account,
        available_credit=None,
        open_balance=Decimal("0.00"),
        credit_history=[],
        orders=[],
        subscriptions=[],
        invoices=[],
        manager=None,
        users=[NS(name="Bruce Wayne", email="it@wayne.example", active=True)],
    )


@state(
    "bss",
    "account-reseller-inactive",
    "bss_admin/accounts/detail.html",
    "Account page: an inactive standard reseller with its customers (operator)",
    user=BSS_OPERATOR,
)
def bss_account_reseller():
    reseller = _account(
        id=14,
        name="BlueSky IT",
        kind="standard_reseller",
        credit_limit=None,
        active=False,
        price_list=PARTNER,
        vat_number=None,
    )
    return _page(
        reseller,
        available_credit=None,
        open_balance=Decimal("0.00"),
        credit_history=[],
        orders=[],
        subscriptions=[],
        invoices=[],
        users=[NS(name="Carol BlueSky", email="carol@bluesky.example", active=True)],
        customers=[NS(id=13, name="Initech", active=True), NS(id=16, name=ACME.name, active=False)],
    )


@state(
    "bss",
    "accounts-of-reseller",
    "bss_admin/accounts/list.html",
    "Accounts list: a standard reseller's customers",
    user=BSS_ADMIN,
)
def bss_accounts_of_reseller():
    context = _list([r for r in ROWS if r.reseller] + [_row(16, "Hooli", reseller="BlueSky IT")])
    context["reseller"] = NS(id=14, name="BlueSky IT")
    return context


# --- Storefront: a standard reseller's customers (read only) --------------------------------


def _customers(rows, pending, next_url=None):
    return {
        "reseller": NS(id=14, name="BlueSky IT"),
        "result": NS(page=NS(rows=rows, next_cursor=None), pending=pending),
        "next_url": next_url,
        "first_url": None,
    }


@state(
    "storefront",
    "reseller-customers",
    "storefront/reseller/customers.html",
    "Reseller: my customers, with orders waiting for approval",
    user=CAROL,
)
def sf_reseller_customers():
    rows = [
        _row(16, "Hooli", reseller="BlueSky IT"),
        _row(13, "Initech", reseller="BlueSky IT"),
        _row(17, "Pied Piper", reseller="BlueSky IT", active=False),
    ]
    return _customers(rows, {13: 2}, next_url="/_preview/storefront/reseller-customers")


@state(
    "storefront",
    "reseller-customers-none",
    "storefront/reseller/customers.html",
    "Reseller: no customers yet",
    user=CAROL,
)
def sf_reseller_customers_none():
    return _customers([], {})
