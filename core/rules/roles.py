"""BSS roles and what each may do (issue 14), in one place.

- **admin**: everything, Setup and people included.
- **operator**: orders, offers, the dashboard, subscriptions, back-orders; sees accounts.
- **catalogue_manager**: the catalogue back office (products, plans, prices, promotions).
- **finance**: sees accounts (balances, credit, invoices); the billing-run log and credit
  notes; records payments of invoices, with the admin (issue 17; running billing by hand and
  Setup › Billing stay with the admins).

Storefront users are ``customer``, or ``account_admin`` (also invites colleagues of the
account). Pure: standard library only.
"""

from __future__ import annotations

from core.enums import Role

ADMIN = Role.ADMIN
OPERATOR = Role.OPERATOR
CATALOGUE_MANAGER = "catalogue_manager"
FINANCE = "finance"
BSS_ROLES = (ADMIN, OPERATOR, CATALOGUE_MANAGER, FINANCE)
ROLE_LABELS = {
    ADMIN: "Admin",
    OPERATOR: "Operator",
    CATALOGUE_MANAGER: "Catalogue manager",
    FINANCE: "Finance",
}

ACCOUNT_ADMIN = "account_admin"  # a Storefront user who invites colleagues
STOREFRONT_ROLES = (Role.CUSTOMER, ACCOUNT_ADMIN)
STOREFRONT_ROLE_LABELS = {Role.CUSTOMER: "User", ACCOUNT_ADMIN: "Account admin"}

# what a permission lets a BSS user do
SETUP = "setup"  # Setup pages
PEOPLE = "people"  # BSS users, teams, invitations
ORDERS = "orders"  # orders, offers, dashboard, subscriptions, back-orders
ACCOUNTS_VIEW = "accounts_view"  # the accounts list and pages
ACCOUNTS_EDIT = "accounts_edit"  # create, edit (credit limit too), deactivate accounts
CATALOGUE = "catalogue"  # the catalogue back office
# recurring billing (issue 17): the billing-run log, invoices' credit notes, recording payments
BILLING = "billing"

PERMISSIONS: dict[str, frozenset[str]] = {
    ADMIN: frozenset({SETUP, PEOPLE, ORDERS, ACCOUNTS_VIEW, ACCOUNTS_EDIT, CATALOGUE, BILLING}),
    OPERATOR: frozenset({ORDERS, ACCOUNTS_VIEW}),
    CATALOGUE_MANAGER: frozenset({CATALOGUE}),
    FINANCE: frozenset({ACCOUNTS_VIEW, BILLING}),
}


def may(role: str | None, permission: str) -> bool:
    return permission in PERMISSIONS.get(role or "", frozenset())


def roles_with(permission: str) -> tuple[str, ...]:
    return tuple(r for r in BSS_ROLES if permission in PERMISSIONS[r])


def home_permission(role: str | None) -> str | None:
    """The area a BSS user lands on after signing in: the dashboard (orders) when the role works
    on orders, else the catalogue, else the accounts; None when the role may use none."""
    for permission in (ORDERS, CATALOGUE, ACCOUNTS_VIEW):
        if may(role, permission):
            return permission
    return None
