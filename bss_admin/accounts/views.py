"""BSS accounts (issue 14): the roles with ACCOUNTS_VIEW (admin, operator, finance) see the list
and the account pages; ACCOUNTS_EDIT (admin) creates, edits, deactivates and changes credit
limits: what a customer may owe is decided by an admin, not by the role that executes orders
(core/rules/roles.py)."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from bss_admin import bp
from bss_admin.accounts.forms import AccountFilterForm, AccountForm, int_or_none
from bss_admin.people.sharing_views import current_viewer
from core import texts
from core.enums import AccountKind
from core.models import Tenant
from core.rules import accounts as rules
from core.rules import roles
from core.services import accounts, billing_admin, people, registration
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import bss_required, signed_in_user
from webapp.emails import mailer, render_email
from webapp.extensions import db
from webapp.people_forms import ColleagueForm
from webapp.web import page, see_other

accounts_viewer = bss_required(*roles.roles_with(roles.ACCOUNTS_VIEW))
accounts_editor = bss_required(*roles.roles_with(roles.ACCOUNTS_EDIT))


@bp.route("/accounts")
@accounts_viewer
def accounts_list():
    form = AccountFilterForm(request.args)
    form.validate()
    reseller = _reseller_from(request.args.get("reseller"))
    filters = accounts.AccountFilters(
        text=(form.q.data or "").strip() if not form.q.errors else "",
        kind=form.kind.data or "",
        after=form.after.data or None,
        reseller_account_id=reseller.id if reseller else None,
    )
    result = accounts.list_accounts(db.session, g.tenant_id, filters)
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    return page(
        "bss_admin/accounts/list.html",
        block="accounts_table",
        form=form,
        result=result,
        reseller=reseller,
        kind_labels=rules.KIND_LABELS,
        next_url=url_for("bss_admin.accounts_list", **args, after=result.next_cursor)
        if result.next_cursor
        else None,
        first_url=url_for("bss_admin.accounts_list", **args) if filters.after else None,
    )


def _reseller_from(raw: str | None):
    """The standard reseller named by ``?reseller=<id>``, or None."""
    reseller_id = int_or_none(raw)
    if reseller_id is None:
        return None
    try:
        account = accounts.get_account(db.session, g.tenant_id, reseller_id)
    except NotFound:
        abort(404)
    return account if account.kind == AccountKind.STANDARD_RESELLER else None


def _text(field) -> str:
    return (field.data or "").strip() if isinstance(field.data, str) else ""


def _pickers(form: AccountForm):
    """Fill the form's lists; a picker with too many choices searches by what was typed."""
    session = db.session
    managers = accounts.manager_picker(session, g.tenant_id, _text(form.manager_search))
    resellers = accounts.reseller_picker(session, g.tenant_id, _text(form.reseller_search))
    children = accounts.child_tenants(session, g.tenant_id)
    form.price_list_id.choices = [("", "Choose a price list")] + accounts.price_lists(
        session, g.tenant_id
    )
    form.manager_user_id.choices = [("", "— nobody —")] + managers.choices
    form.reseller_account_id.choices = [("", "— none —")] + resellers.choices
    form.represents_tenant_id.choices = [("", "— none —")] + children
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        # a search typed in place of a too long list designates one choice, or says why not
        for picker, field, key in (
            (managers, form.manager_user_id, "manager_search"),
            (resellers, form.reseller_account_id, "reseller_search"),
        ):
            search = _text(form[key])
            if picker.many and search and not field.data:
                if picker.chosen is not None:
                    field.data = picker.chosen
                elif picker.error:
                    errors[key] = [picker.error]
    return {"managers": managers, "resellers": resellers, "children": children}, errors


def _values(form: AccountForm) -> rules.AccountInput:
    return rules.AccountInput(
        name=_text(form.name),
        kind=form.kind.data or "",
        price_list_id=form.price_list_id.data,
        payment_method=form.payment_method.data or "",
        credit_limit=_text(form.credit_limit),
        billing_name=_text(form.billing_name),
        billing_address=_text(form.billing_address),
        billing_email=_text(form.billing_email),
        vat_number=_text(form.vat_number),
        country=_text(form.country),
        tax_exempt=bool(form.tax_exempt.data),
        timezone=_text(form.timezone),
        manager_user_id=form.manager_user_id.data,
        represents_tenant_id=form.represents_tenant_id.data,
        reseller_account_id=form.reseller_account_id.data,
    )


def _form_page(form, errors, pickers, account=None):
    status = 422 if form.is_submitted() and errors else 200
    return page(
        "bss_admin/accounts/form.html",
        block="account_form",
        status=status,
        form=form,
        errors=errors,
        account=account,
        **pickers,
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@accounts_editor
def account_new():
    form = AccountForm()
    reseller = _reseller_from(request.args.get("reseller"))
    if reseller is not None and not form.is_submitted():
        # "New customer" of a standard reseller's page: an end customer under it
        form.kind.data = AccountKind.END_CUSTOMER
        form.reseller_account_id.data = reseller.id
    pickers, errors = _pickers(form)
    if reseller is not None and (reseller.id, reseller.name) not in pickers["resellers"].choices:
        form.reseller_account_id.choices.append((reseller.id, reseller.name))
    if form.is_submitted():
        if not errors:
            try:
                account = accounts.create_account(
                    db.session, g.tenant_id, signed_in_user(), _values(form)
                )
            except ValidationFailed as error:
                errors = error.errors
            else:
                flash(texts.ACCOUNT_CREATED.format(name=account.name), "success")
                return see_other(url_for("bss_admin.account_detail", account_id=account.id))
    return _form_page(form, errors, pickers)


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@accounts_editor
def account_edit(account_id: int):
    try:
        account = accounts.get_account(db.session, g.tenant_id, account_id)
    except NotFound:
        abort(404)
    if request.method == "POST":
        form = AccountForm()
    else:
        form = AccountForm(formdata=None, data=accounts.input_from_account(account))
    pickers, errors = _pickers(form)
    if form.is_submitted():
        if not errors:
            try:
                accounts.update_account(
                    db.session,
                    g.tenant_id,
                    signed_in_user(),
                    account_id,
                    _values(form),
                    credit_reason=_text(form.credit_reason),
                )
            except NotFound:
                abort(404)
            except ValidationFailed as error:
                errors = error.errors
            else:
                flash(texts.ACCOUNT_SAVED, "success")
                return see_other(url_for("bss_admin.account_detail", account_id=account_id))
    return _form_page(form, errors, pickers, account)


@bp.route("/accounts/<int:account_id>")
@accounts_viewer
def account_detail(account_id: int):
    try:
        view = accounts.account_page(db.session, g.tenant_id, account_id, current_viewer())
    except NotFound:
        abort(404)
    return page(
        "bss_admin/accounts/detail.html",
        a=view,
        kind_labels=rules.KIND_LABELS,
        invite=ColleagueForm(formdata=None),
        invite_errors={},
        # recurring billing (issue 17): what the account will be billed and when
        schedule=billing_admin.account_schedule(db.session, g.tenant_id, account_id),
    )


def _set_active(account_id: int, active: bool):
    try:
        account = accounts.set_active(db.session, g.tenant_id, signed_in_user(), account_id, active)
    except NotFound:
        abort(404)
    message = texts.ACCOUNT_REACTIVATED if active else texts.ACCOUNT_DEACTIVATED
    flash(message.format(name=account.name), "success")
    return see_other(url_for("bss_admin.account_detail", account_id=account_id))


@bp.post("/accounts/<int:account_id>/deactivate")
@accounts_editor
def account_deactivate(account_id: int):
    return _set_active(account_id, False)


@bp.post("/accounts/<int:account_id>/reactivate")
@accounts_editor
def account_reactivate(account_id: int):
    return _set_active(account_id, True)


# --- the account's Storefront users: the BSS invites them (issue 14 E) ----------------------


@bp.post("/accounts/<int:account_id>/users/invite")
@accounts_editor
def account_invite_user(account_id: int):
    try:
        account = accounts.get_account(db.session, g.tenant_id, account_id)
    except NotFound:
        abort(404)
    tenant = db.session.get(Tenant, g.tenant_id)
    form = ColleagueForm()
    try:
        user = people.invite_storefront_user(
            db.session,
            g.tenant_id,
            signed_in_user(),
            mailer("storefront.invitation", host=tenant.host),
            account_id=account.id,
            email=form.email.data or "",
            name=form.name.data or "",
            role=form.role.data or "",
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        view = accounts.account_page(db.session, g.tenant_id, account_id, current_viewer())
        return page(
            "bss_admin/accounts/detail.html",
            status=422,
            a=view,
            kind_labels=rules.KIND_LABELS,
            invite=form,
            invite_errors=error.errors,
        )
    flash(texts.USER_INVITED.format(email=user.email), "success")
    return see_other(url_for("bss_admin.account_detail", account_id=account_id))


@bp.post("/accounts/<int:account_id>/approve")
@accounts_editor
def account_approve(account_id: int):
    """A self-registered account may order from now on (issue 14 E)."""
    try:
        account = registration.approve(
            db.session, g.tenant_id, signed_in_user(), account_id, render_email
        )
    except NotFound:
        abort(404)
    flash(texts.REGISTRATION_APPROVED.format(name=account.name), "success")
    return see_other(url_for("bss_admin.account_detail", account_id=account_id))
