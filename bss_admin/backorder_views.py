"""BSS views of PRODUCT.md section 8: the distributor's back-orders, the subscription view
(Order field, history lines, add-ons' Source Type), and the side records a user adds to any
order — activities, related e-mails and cases."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from bss_admin import bp
from bss_admin.order_forms import _int_or_none
from bss_admin.people.sharing_views import current_viewer
from core import texts
from core.models import Order
from core.rules import date_filters
from core.rules.backorders import BackorderAction
from core.services import backorder_listing, bss_subscriptions, order_records, orders, provisioning
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import bss_required, signed_in_user
from webapp.extensions import db
from webapp.web import is_htmx, page, safe_local_url, see_other

# --- forms: they parse; the services check ---------------------------------------------------


class ActivityForm(FlaskForm):
    subject = StringField("Subject")
    notes = TextAreaField("Notes")


class EmailForm(FlaskForm):
    sender = StringField("From")
    recipient = StringField("To")
    subject = StringField("Subject")
    body = TextAreaField("Body")


class CaseForm(FlaskForm):
    title = StringField("Title")
    description = TextAreaField("Description")
    status = SelectField(
        "Status", choices=list(order_records.CASE_STATUSES), default="open", validate_choice=False
    )


FORMS = {"activity": ActivityForm, "email": EmailForm, "case": CaseForm}


def _blank_forms() -> dict[str, FlaskForm]:
    return {key: cls(formdata=None, prefix=key) for key, cls in FORMS.items()}


@bp.app_template_global()
def order_records_panel(order: Order, **overrides) -> dict:
    """What the side-records panel shows for ``order``; the order page includes the panel with
    only the order in its context, so the panel asks for the rest itself."""
    if not current_user.is_authenticated or current_user.tenant_id != order.tenant_id:
        return {}
    panel = {
        "records": order_records.list_records(db.session, order.tenant_id, order.id),
        "forms": _blank_forms(),
        "errors": {},
        "message": None,
        "next_url": request.path,
        "case_labels": dict(order_records.CASE_STATUSES),
        "open": None,
    }
    panel.update(overrides)
    return panel


# --- back-orders -----------------------------------------------------------------------------


class BackorderFilterForm(FlaskForm):
    """The list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    reseller = SelectField("Tenant reseller", coerce=_int_or_none, validate_choice=False)
    account = SelectField("Account", coerce=_int_or_none, validate_choice=False)
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    after = StringField("after", validators=[Optional(), Length(max=200)])


@bp.route("/backorders")
@bss_required()
def backorders_list():
    form = BackorderFilterForm(request.args)
    form.validate()
    # as the orders list: an invalid date is not used, a From after the To is kept, each said
    days = date_filters.read_date_range(request.args.get("date_from"), request.args.get("date_to"))
    form.date_from.errors = days.errors.get("date_from", [])
    form.date_to.errors = days.errors.get("date_to", [])
    filters = backorder_listing.BackorderFilters(
        reseller_id=form.reseller.data,
        account_id=form.account.data,
        date_from=days.date_from,
        date_to=days.date_to,
        after=form.after.data or None,
        timezone=current_user.timezone,
        viewer=current_viewer(),
    )
    listing = backorder_listing.list_backorders(db.session, g.tenant_id, filters)
    form.reseller.choices = [("", "Any")] + backorder_listing.tenant_resellers(
        db.session, g.tenant_id
    )
    # never a 20,000-option list: over ACCOUNT_CHOICES, the chosen one only
    accounts, _many = orders.account_choices(db.session, g.tenant_id, form.account.data)
    form.account.choices = [("", "Any")] + accounts
    kept = {k: v for k, v in request.args.items() if k != "after" and v}
    return page(
        "bss_admin/backorders/list.html",
        block="backorders",
        filters_oob=is_htmx(),
        form=form,
        listing=listing,
        backorder_action_labels=BackorderAction.LABELS,
        next_url=url_for("bss_admin.backorders_list", **kept, after=listing.next_cursor)
        if listing.next_cursor
        else None,
        first_url=url_for("bss_admin.backorders_list", **kept) if filters.after else None,
    )


@bp.app_template_global()
def backorder_facts(order: Order):
    """Billing To, price list and sharing rule of a back-order, for its page and print-out."""
    if order.source != "backorder":
        return None
    return backorder_listing.backorder_facts(db.session, order)


# --- subscription view -----------------------------------------------------------------------


@bp.route("/subscriptions")
@bss_required()
def subscriptions_list():
    listing = bss_subscriptions.list_subscriptions(
        db.session, g.tenant_id, request.args.get("page", 1, type=int)
    )
    return page("bss_admin/backorders/subscriptions.html", block="subscriptions", listing=listing)


@bp.route("/subscriptions/<int:subscription_id>")
@bss_required()
def subscription_detail(subscription_id: int):
    try:
        detail = bss_subscriptions.get_subscription(db.session, g.tenant_id, subscription_id)
    except NotFound:
        abort(404)
    states = provisioning.subscription_states(db.session, [subscription_id])
    return page("bss_admin/backorders/subscription.html", d=detail, provisioning_states=states)


# --- activities, related e-mails, cases ------------------------------------------------------


def _order_or_404(order_id: int) -> Order:
    try:
        return order_records.get_order(db.session, g.tenant_id, order_id)
    except NotFound:
        abort(404)


def _records_page(order: Order, status: int = 200, **panel):
    panel.setdefault("next_url", _next_url(order))
    return page(
        "bss_admin/backorders/order_records.html",
        block="records",
        status=status,
        order=order,
        records_panel=order_records_panel(order, **panel),
    )


def _next_url(order: Order) -> str:
    fallback = url_for("bss_admin.order_detail", order_id=order.id)
    return safe_local_url(request.values.get("next"), fallback)


@bp.route("/orders/<int:order_id>/records")
@bss_required()
def order_records_page(order_id: int):
    return _records_page(_order_or_404(order_id))


def _save(order_id: int, key: str, save, done: str):
    """Parse the form, call the service, answer: the panel again for htmx, else a redirect;
    invalid input changes nothing and comes back with its messages (422)."""
    order = _order_or_404(order_id)
    form = FORMS[key](prefix=key)
    form.validate_on_submit()  # the shapes only; the service decides
    try:
        save(order, form)
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        forms = _blank_forms()
        forms[key] = form
        return _records_page(order, 422, forms=forms, errors={key: error.errors}, open=key)
    if is_htmx():
        return _records_page(order, message=done)
    flash(done, "success")
    return see_other(_next_url(order))


@bp.post("/orders/<int:order_id>/activities")
@bss_required()
def order_add_activity(order_id: int):
    def save(order, form):
        order_records.add_activity(
            db.session,
            g.tenant_id,
            order.id,
            signed_in_user(),
            subject=form.subject.data,
            notes=form.notes.data,
        )

    return _save(order_id, "activity", save, texts.ACTIVITY_ADDED)


@bp.post("/orders/<int:order_id>/emails")
@bss_required()
def order_relate_email(order_id: int):
    def save(order, form):
        order_records.relate_email(
            db.session,
            g.tenant_id,
            order.id,
            signed_in_user(),
            sender=form.sender.data,
            recipient=form.recipient.data,
            subject=form.subject.data,
            body=form.body.data,
        )

    return _save(order_id, "email", save, texts.EMAIL_RELATED)


@bp.post("/orders/<int:order_id>/cases")
@bss_required()
def order_create_case(order_id: int):
    def save(order, form):
        order_records.create_case(
            db.session,
            g.tenant_id,
            order.id,
            signed_in_user(),
            title=form.title.data,
            description=form.description.data,
            status=form.status.data,
        )

    return _save(order_id, "case", save, texts.CASE_CREATED)
