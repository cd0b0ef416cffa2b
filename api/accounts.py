"""Account writes through the API: create and edit, through the same use cases and rules as
the BSS account pages (core.services.accounts, core.rules.accounts), for the roles that may
edit accounts there (core.rules.roles.ACCOUNTS_EDIT: admins)."""

from __future__ import annotations

from api import schemas
from api.auth import authenticate_request, caller, requires
from api.blueprint import Blueprint
from api.idempotent import idempotent
from api.problems import from_service_error
from api.reads import account_representation
from core.rules import accounts as account_rules
from core.rules import roles
from core.services import accounts
from core.services.errors import ServiceError
from webapp.extensions import db

blp = Blueprint("accounts", __name__, description="Accounts: create, edit")
blp.before_request(authenticate_request)
blp.register_error_handler(ServiceError, from_service_error)

_FIELDS = (
    "name",
    "kind",
    "price_list_id",
    "payment_method",
    "credit_limit",
    "billing_name",
    "billing_address",
    "billing_email",
    "vat_number",
    "country",
    "tax_exempt",
    "timezone",
    "manager_user_id",
    "represents_tenant_id",
    "reseller_account_id",
)


def _input(values: dict) -> account_rules.AccountInput:
    clean = {k: values.get(k) for k in _FIELDS}
    for text in ("billing_name", "billing_address", "billing_email", "vat_number", "country"):
        clean[text] = (clean[text] or "").strip()
    clean["name"] = (clean["name"] or "").strip()
    clean["timezone"] = (clean["timezone"] or "UTC").strip()
    clean["kind"] = clean["kind"] or ""
    clean["payment_method"] = clean["payment_method"] or ""
    clean["tax_exempt"] = bool(clean["tax_exempt"])
    return account_rules.AccountInput(**clean)


@blp.route("/accounts", methods=["POST"])
@requires(roles.ACCOUNTS_EDIT)
@idempotent(blp)
@blp.arguments(schemas.AccountInputSchema)
@blp.response(201, schemas.AccountSchema)
def create_account(data):
    """Create an account (as BSS > Accounts > New account)."""
    data.pop("credit_reason", None)
    account = accounts.create_account(db.session, caller().tenant_id, caller().user, _input(data))
    return account_representation(account)


@blp.route("/accounts/<int:account_id>", methods=["PATCH"])
@requires(roles.ACCOUNTS_EDIT)
@blp.arguments(schemas.AccountChangesInput)
@blp.response(200, schemas.AccountSchema)
def update_account(data, account_id: int):
    """Edit an account; only the fields sent change. A new credit limit needs `credit_reason`
    (the account's credit history keeps it) and applies from the next placement."""
    current = accounts.get_account(db.session, caller().tenant_id, account_id)
    values = accounts.input_from_account(current)
    values["credit_limit"] = current.credit_limit
    reason = data.pop("credit_reason", "")
    values.update(data)
    account = accounts.update_account(
        db.session, caller().tenant_id, caller().user, account_id, _input(values), reason
    )
    return account_representation(account)
