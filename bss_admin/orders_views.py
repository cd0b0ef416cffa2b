"""BSS orders (PRODUCT.md 6.2-6.4): list, create, order page, Quick Add, Update, Edit,
execution (whole and partial), Copy, Cancel, CSV export and print-out."""

from __future__ import annotations

import dataclasses
import operator
from typing import NamedTuple

from flask import Response, abort, flash, g, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectField

from bss_admin import bp
from bss_admin.order_forms import (
    EditOrderForm,
    NewOrderForm,
    OrderFilterForm,
    QuickAddForm,
    item_quantities,
)
from bss_admin.people.sharing_views import current_viewer
from core import texts
from core.rules import date_filters, permissions
from core.rules.statuses import OrderStatusType
from core.services import billing_admin, orders, picking
from core.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from webapp import filters
from webapp.auth import bss_required, lean_user, shared_status_book, signed_in_user
from webapp.confirm import Confirmation, ConfirmChoice, confirm_page
from webapp.extensions import db
from webapp.web import is_htmx, page, request_memo, see_other

# --- list ------------------------------------------------------------------------------------


@bp.app_template_global()
def order_notice(facts) -> str | None:
    """Why the order page's actions are limited (core.rules.permissions.notice)."""
    return permissions.notice(facts)


@bp.app_template_global()
def order_url(order_id: int) -> str:
    """``url_for("bss_admin.order_detail", order_id=...)`` for the rows of a list: the URL
    is built once per request and the id appended (url_for costs ~7 us a call, and the
    dashboard links 150 orders)."""
    memo = request_memo()
    prefix = memo.get("order_url")
    if prefix is None:
        prefix = memo["order_url"] = url_for("bss_admin.order_detail", order_id=0)[:-1]
    return f"{prefix}{int(order_id)}"


class OrderCells:
    """What a row of an order list shows of the order: its link, status badge, date (and
    time) in the viewer's zone and total, through the same helpers as the templates' filters;
    given the table's ``waiting_reasons`` macro, the badges of why an order waits and for
    how long too.

    A table makes one per render, ``{% set cells = order_cells(status_badge) %}``, and calls
    ``cells(row)`` once per row: the link's prefix, each status's badge and the badges of
    each set of waiting reasons are worked out once per table. A row used to cost four
    template calls, three of them looking up the request's memo, and a loop over its waiting
    reasons (~10 us a row, the loop as much again: 100 rows on the widget, issue 19).

    ``{% call(c) cells.row(row) %}<tr>...</tr>{% endcall %}`` renders a row's HTML once per
    content (see :meth:`row`)."""

    __slots__ = ("_badge", "_badges", "_prefix", "_reasons", "_reason_badges", "_tables")

    def __init__(self, status_badge, waiting_reasons=None) -> None:
        self._badge = status_badge
        self._badges: dict = {}
        self._prefix = order_url(0)[:-1]
        self._reasons = waiting_reasons
        self._reason_badges: dict = {}
        self._tables: dict = {}

    def _status_badge(self, status) -> Markup:
        try:  # the page's status objects themselves (a hash of their identity)
            badge = self._badges.get(status)
            key = status
        except TypeError:  # an unhashable stand-in (the template previews)
            key = ("id", getattr(status, "id", None))
            badge = self._badges.get(key)
        if badge is None:
            badge = self._badges[key] = self._badge(status)
        return badge

    def __call__(self, row, with_time: bool = True) -> RowCells:
        badge = self._status_badge(row.status)
        when = (filters.localdatetime if with_time else filters.localdate)(row.order_date)
        reasons = None
        if self._reasons is not None:
            key = row.waiting_reasons
            reasons = self._reason_badges.get(key)
            if reasons is None:
                reasons = self._reason_badges[key] = self._reasons(key)
        waited = getattr(row, "waited", None)
        if waited:
            waited = texts.WAITING_FOR.format(amount=waited.amount, unit=waited.unit)
        href = f"{self._prefix}{int(row.id)}"
        total = filters.money(row.total, row.currency)
        return RowCells(href, badge, when, total, reasons, waited or None)

    def row(self, row, caller, with_time: bool = True) -> Markup:
        """The HTML of ``row`` as the table's call block renders it (``caller(cells(row))``),
        rendered once per content and kept per process: the polled widget and the lists show
        the same rows again and again, and rendering one cost ~10-30 us (100 rows on the
        widget, 150 on the dashboard; issue 19).

        The row is known by everything it holds (every field of the service's row, its
        status by the badge's HTML), the call block's code (so an edited template renders
        afresh), the link's prefix, the viewer's zone and date format and ``with_time``. The
        call block may read only ``row``, ``c`` and constants (``texts``): anything else
        would have to join the key. Rows that are not dataclasses are rendered every time."""
        code = getattr(getattr(caller, "_func", None), "__code__", None)
        table = self._tables.get((code, with_time))
        if table is None:
            table = self._tables[(code, with_time)] = (
                code,
                self._prefix,
                filters._viewer(),
                with_time,
            )
        key = _row_key(row, self._status_badge) if code is not None else None
        try:
            html = _ROWS_HTML.get((table, key)) if key is not None else None
        except TypeError:  # something unhashable in the row
            key = html = None
        if html is None:
            html = caller(self(row, with_time))
            if key is not None:
                if len(_ROWS_HTML) >= _ROWS_KEPT:
                    _ROWS_HTML.clear()  # start afresh rather than grow
                _ROWS_HTML[(table, key)] = html
        return html

    def rows(self, rows, caller) -> Markup:
        """``{% call(rows) cells.rows(rows) %}{% for row in rows %}...{% endfor %}{% endcall %}``:
        the HTML of a whole table's rows rendered once per content and kept per process (the
        rows themselves through :meth:`row` when it is rendered). The polled widget and the
        lists show the same tables again and again; a row costs a template call block and a
        look-up (~5-10 us, 150 rows on the dashboard) where its key alone costs ~1-2 us
        (issue 19, fifth pass).

        The table is known by the call block's code, the link's prefix, the viewer's zone and
        date format and every row's key (as :meth:`row`'s). The block may read only ``rows``
        and constants (``texts``), as :meth:`row`'s; a table with a row that is not a
        dataclass, or not a list, is rendered every time."""
        code = getattr(getattr(caller, "_func", None), "__code__", None)
        if code is None or not isinstance(rows, list | tuple):
            return caller(rows)
        badge = self._status_badge
        keys = []
        for row in rows:
            key = _row_key(row, badge)
            if key is None:
                return caller(rows)
            keys.append(key)
        key = (code, self._prefix, filters._viewer(), tuple(keys))
        try:
            html = _TABLES_HTML.get(key)
        except TypeError:  # something unhashable in a row
            return caller(rows)
        if html is None:
            html = caller(rows)
            if len(_TABLES_HTML) >= _TABLES_KEPT:
                _TABLES_HTML.clear()  # start afresh rather than grow
            _TABLES_HTML[key] = html
        return html


_TABLES_HTML: dict[tuple, Markup] = {}  # tables' rows rendered so far (OrderCells.rows)
_TABLES_KEPT = 32  # ~2-3 MB: the widget's table in each zone and minute, the lists' pages
_ROWS_HTML: dict[tuple, Markup] = {}  # rows rendered so far in this process (OrderCells.row)
_ROWS_KEPT = 4096  # ~2 MB of rows: the widget's 100 in each zone and wait, the lists' pages
_ROW_FIELDS: dict[type, tuple | None] = {}  # per kind of row: its fields' getter, status's place


def _row_key(row, status_badge) -> tuple | None:
    """Everything a service's row (a dataclass) holds, its status by its badge's HTML; None
    for a row that is not a dataclass."""
    kind = type(row)
    shape = _ROW_FIELDS.get(kind, ())
    if shape == ():
        shape = _ROW_FIELDS[kind] = _row_shape(row)
    if shape is None:
        return None
    getter, status = shape
    key = getter(row)
    if status is not None:
        key = (*key[:status], status_badge(key[status]), *key[status + 1 :])
    return (kind, key)


def _row_shape(row) -> tuple | None:
    if not dataclasses.is_dataclass(row):
        return None
    names = [f.name for f in dataclasses.fields(row)]
    if len(names) < 2:
        return None  # attrgetter of one name gives the value, not a tuple
    status = names.index("status") if "status" in names else None
    return operator.attrgetter(*names), status


class RowCells(NamedTuple):
    href: str
    badge: Markup
    when: str
    total: str
    reasons: Markup | None = None
    waited: str | None = None


@bp.app_template_global()
def order_cells(status_badge, waiting_reasons=None) -> OrderCells:
    return OrderCells(status_badge, waiting_reasons)


_FILTERS_HTML: dict[tuple, Markup] = {}  # the filter forms rendered so far in this process
_FILTERS_KEPT = 64
# the fields the form shows (orders/_filters.html): not the page's cursor, which would make
# every next page a shape of its own
_FILTER_FIELDS = frozenset(
    ("q", "status", "account", "execution_type", "date_from", "date_to", "sort")
)


@bp.app_template_global()
def order_filters(form: OrderFilterForm, many_accounts: bool = False) -> Markup:
    """The orders list's filter form (``orders/_filters.html``), rendered once per shape:
    its HTML is a function of each field's value, errors and choices (no CSRF token, nothing
    of the viewer's), so the same shape gives the same HTML. WTForms took ~1-2 ms to render
    the seven fields, a fifth of the list's server time (issue 19)."""
    many_accounts = bool(many_accounts)  # Undefined in a template preview
    key = (
        request.script_root,
        many_accounts,
        *(
            (
                f.name,
                tuple(f.raw_data) if f.raw_data is not None else None,
                repr(f.data),
                tuple(f.errors),
                tuple(f.choices) if isinstance(f, SelectField) else None,
            )
            for f in form
            if f.name in _FILTER_FIELDS
        ),
    )
    html = _FILTERS_HTML.get(key)
    if html is None:
        template = "bss_admin/orders/_filters.html"
        html = Markup(render_template(template, form=form, many_accounts=many_accounts))
        if len(_FILTERS_HTML) >= _FILTERS_KEPT:
            _FILTERS_HTML.clear()  # searches typed by hand: start afresh rather than grow
        _FILTERS_HTML[key] = html
    return html


@bp.route("/orders")
@lean_user
@bss_required()
def orders_list():
    form = OrderFilterForm(request.args)
    form.validate()
    # an invalid date is not used, a From after the To is kept: each said on its field
    days = date_filters.read_date_range(request.args.get("date_from"), request.args.get("date_to"))
    form.date_from.errors = days.errors.get("date_from", [])
    form.date_to.errors = days.errors.get("date_to", [])
    filters = orders.OrderFilters(
        status_id=form.status.data,
        account_id=form.account.data,
        execution_type=form.execution_type.data or None,
        date_from=days.date_from,
        date_to=days.date_to,
        text=form.q.data,
        oldest_first=form.sort.data == "oldest",
        after=form.after.data or None,
        timezone=current_user.timezone,
        viewer=current_viewer(),
    )
    choices = orders.ACCOUNT_CHOICES
    # the page's statement counts the accounts too: over ACCOUNT_CHOICES, and none chosen,
    # the picker needs no statement of its own (issue 19)
    result = orders.list_orders(
        db.session,
        g.tenant_id,
        filters,
        count_accounts=choices + 1,
        book=shared_status_book(),  # no statement while the tenant's statuses are unchanged
    )
    form.status.choices = [("", "Any")] + [(s.id, s.description) for s in result.statuses]
    if (result.accounts or 0) > choices and form.account.data is None:
        accounts, many_accounts = [], True
    else:  # a 20,000-option list would weigh a megabyte: the chosen one only, found by name
        accounts, many_accounts = orders.account_choices(db.session, g.tenant_id, form.account.data)
    form.account.choices = [("", "Any")] + accounts
    next_args = {k: v for k, v in request.args.items() if k != "after" and v}
    return page(
        "bss_admin/orders/list.html",
        many_accounts=many_accounts,
        block="orders_table",
        filters_oob=is_htmx(),
        form=form,
        result=result,
        next_url=url_for("bss_admin.orders_list", **next_args, after=result.next_cursor)
        if result.next_cursor
        else None,
        first_url=url_for("bss_admin.orders_list", **next_args) if filters.after else None,
    )


# --- create ----------------------------------------------------------------------------------


def pick_form_account(form, placeholder: str) -> picking.Pick[int]:
    """The account of a new order's or offer's form (its ``account_id`` list and its
    ``account_search`` name, :func:`core.services.orders.pick_account`): the list's choices
    after ``placeholder``, and the account the typed name designates, set on the form."""
    pick = orders.pick_account(
        db.session,
        g.tenant_id,
        form.account_id.data,
        form.account_search.data,
        submitted=request.method == "POST",
    )
    form.account_id.data = pick.chosen
    form.account_id.choices = [("", placeholder)] + pick.choices
    return pick


@bp.route("/orders/new", methods=["GET", "POST"])
@bss_required()
def order_new():
    form = NewOrderForm()
    book = orders.StatusBook.load(db.session, g.tenant_id)
    book_statuses = orders.pickable_statuses(book, new_order=True)
    pick = pick_form_account(form, "Choose an account")
    search_errors = [pick.error] if pick.error else []
    form.status_id.choices = [(s.id, s.description) for s in book_statuses]
    if request.method == "GET":
        form.status_id.data = book.submitted().id
    errors: dict = {"account_search": search_errors} if search_errors else {}
    if not search_errors and form.validate_on_submit():
        try:
            order = orders.create_order(
                db.session,
                g.tenant_id,
                signed_in_user(),
                account_id=form.account_id.data,
                status_id=form.status_id.data,
                name=form.name.data,
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.ORDER_CREATED.format(number=order.number), "success")
            return see_other(url_for("bss_admin.order_detail", order_id=order.id))
    status = 422 if form.is_submitted() and (errors or form.errors) else 200
    return page(
        "bss_admin/orders/new.html",
        block="new_order_form",
        status=status,
        form=form,
        errors=errors,
        many_accounts=pick.many,
    )


# --- the order page --------------------------------------------------------------------------


def _detail(order_id: int) -> orders.OrderDetail:
    try:
        return orders.get_order(db.session, g.tenant_id, order_id)
    except NotFound:
        abort(404)


def _order_page(order_id: int, *, status: int = 200, block: str | None = None, **extra):
    detail = _detail(order_id)
    quick_add = extra.pop("quick_add", None) or QuickAddForm(formdata=None)
    # the choices only where Quick Add shows (an order that takes no more items reads none);
    # beyond picking.LIMIT priced plans, those the typed name matches (and the chosen one)
    pick = (
        orders.quick_add_pick(
            db.session,
            g.tenant_id,
            detail.order.price_list_id,
            quick_add.product_plan.data,
            quick_add.product_search.data,
            submitted=False,
        )
        if detail.can("quick_add")
        else None
    )
    quick_add.product_plan.choices = [("", "Choose a product")] + (pick.choices if pick else [])
    context = {
        "errors": {},
        "message": None,
        "quantities": {},
        "execute_values": None,
        "msg_at": block,
        "many_plans": bool(pick and pick.many),
        # recurring billing (issue 17): the order's invoices (PDF links)
        "order_invoices": billing_admin.order_invoices(db.session, g.tenant_id, detail.order.id),
        **extra,
    }
    return page(
        "bss_admin/orders/detail.html",
        block=block,
        status=status,
        d=detail,
        quick_add=quick_add,
        **context,
    )


@bp.route("/orders/<int:order_id>")
@bss_required()
def order_detail(order_id: int):
    return _order_page(order_id)


def _refused(order_id: int, error, block: str = "order_main", **extra):
    """A refused change: 404 for another tenant's order, else the page with the message."""
    if isinstance(error, NotFound):
        abort(404)
    status = 422 if isinstance(error, ValidationFailed) else error.http_status
    if isinstance(error, Forbidden):
        status = 403
    errors = error.errors if isinstance(error, ValidationFailed) else {}
    return _order_page(
        order_id, status=status, block=block, message=error.message, errors=errors, **extra
    )


@bp.post("/orders/<int:order_id>/items")
@bss_required()
def order_quick_add(order_id: int):
    form = QuickAddForm()
    if not form.validate():
        error = ValidationFailed("Check the item.", {k: list(v) for k, v in form.errors.items()})
        return _refused(order_id, error, block="products", quick_add=form)
    product_id, plan_id = form.product_and_plan()
    try:
        orders.quick_add(
            db.session,
            g.tenant_id,
            order_id,
            signed_in_user(),
            product_id=product_id,
            plan_id=plan_id,
            quantity=form.quantity.data,
            product_search=form.product_search.data,
        )
    except (ValidationFailed, Conflict, Forbidden, NotFound) as error:
        if "product_id" in error.errors or "plan_id" in error.errors:
            error.errors["product_plan"] = error.errors.pop(
                "product_id", error.errors.pop("plan_id", [])
            )
        return _refused(order_id, error, block="products", quick_add=form)
    flash(texts.ORDER_ITEM_ADDED, "success")
    return see_other(url_for("bss_admin.order_detail", order_id=order_id) + "#products")


@bp.post("/orders/<int:order_id>/items/update")
@bss_required()
def order_update_items(order_id: int):
    quantities, errors = item_quantities(request.form, "quantity-")
    try:
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        orders.update_quantities(db.session, g.tenant_id, order_id, signed_in_user(), quantities)
    except (ValidationFailed, Conflict, Forbidden, NotFound) as error:
        return _refused(order_id, error, block="products", quantities=request.form)
    flash(texts.ORDER_ITEMS_UPDATED, "success")
    return see_other(url_for("bss_admin.order_detail", order_id=order_id) + "#products")


# --- confirmations (a page without JavaScript, a dialog with it; webapp.confirm) ------------


def _refused_confirmation(order_id: int, error, block: str, **extra):
    """A confirmation that cannot be given: the order page's region with the message, which
    htmx puts in place of that region (not in the dialog slot)."""
    response = _refused(order_id, error, block=block, **extra)
    response.headers["HX-Retarget"] = "#products" if block == "products" else "#order-main"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _execution_confirmation(order_id: int, quantities: dict[int, int] | None):
    preview = orders.preview_execution(db.session, g.tenant_id, order_id, quantities)
    number = preview.order.number
    partial = quantities is not None
    outcomes = preview.outcomes
    return Confirmation(
        title=(
            texts.CONFIRM_EXECUTE_PARTIAL_TITLE if partial else texts.CONFIRM_EXECUTE_TITLE
        ).format(number=number),
        message=texts.CONFIRM_EXECUTE_BODY,
        yes_label=texts.CONFIRM_EXECUTE_YES,
        action_url=url_for(
            "bss_admin.order_execute_partial" if partial else "bss_admin.order_execute",
            order_id=order_id,
        ),
        back_url=url_for("bss_admin.order_detail", order_id=order_id),
        back_label=texts.CONFIRM_GO_BACK,
        lines=[
            texts.CONFIRM_LINE.format(item=item.description, quantity=quantity)
            for item, quantity in preview.lines
        ],
        warnings=[
            texts.CONFIRM_HOLD_WARNING.format(hold=texts.HOLD_LABELS.get(reason, reason))
            for reason in preview.warnings
        ],
        hidden={f"execute-{item.id}": str(q) for item, q in preview.lines} if partial else {},
        choice=ConfirmChoice(
            "executed_status_id",
            texts.ORDER_EXECUTED_STATUS_LABEL,
            [(str(s.id), s.description) for s in outcomes],
        )
        if len(outcomes) > 1
        else None,
        danger=False,
    )


@bp.route("/orders/<int:order_id>/execute/confirm")
@bss_required()
def order_execute_confirm(order_id: int):
    """Execute Order asks first: what will be executed, and the open holds it releases."""
    try:
        confirmation = _execution_confirmation(order_id, None)
    except (ValidationFailed, Conflict, Forbidden, NotFound) as error:
        return _refused_confirmation(order_id, error, "order_main")
    return confirm_page("bss_admin/layout.html", confirmation)


@bp.route("/orders/<int:order_id>/execute-partial/confirm")
@bss_required()
def order_execute_partial_confirm(order_id: int):
    """Execute selected quantities asks first; the quantities come as the query string."""
    quantities, errors = item_quantities(request.args, "execute-")
    try:
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        confirmation = _execution_confirmation(order_id, quantities)
    except (ValidationFailed, Conflict, Forbidden, NotFound) as error:
        return _refused_confirmation(order_id, error, "products", execute_values=request.args)
    return confirm_page("bss_admin/layout.html", confirmation)


@bp.route("/orders/<int:order_id>/cancel/confirm")
@bss_required()
def order_cancel_confirm(order_id: int):
    detail = _detail(order_id)
    message = permissions.refusal(detail.facts, permissions.Action.CANCEL)
    if message is not None:
        error = (
            Forbidden(message) if message == texts.BACKORDER_ACTION_REFUSED else Conflict(message)
        )
        return _refused_confirmation(order_id, error, "order_main")
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_CANCEL_ORDER_TITLE.format(number=detail.order.number),
            message=texts.CONFIRM_CANCEL_ORDER_BODY,
            yes_label=texts.CONFIRM_CANCEL_ORDER_YES,
            action_url=url_for("bss_admin.order_cancel", order_id=order_id),
            back_url=url_for("bss_admin.order_detail", order_id=order_id),
            back_label=texts.CONFIRM_KEEP_ORDER,
        ),
    )


def _executed_status_id() -> int | None:
    """The status chosen on the confirmation (absent: the default Executed)."""
    raw = (request.form.get("executed_status_id") or "").strip()
    if not raw:
        return None
    # never an id: not a plain number, or more digits than a 64-bit id has
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        message = texts.ORDER_EXECUTED_STATUS_INVALID
        raise ValidationFailed(message, {"executed_status_id": [message]})
    return int(raw)


@bp.post("/orders/<int:order_id>/execute")
@bss_required()
def order_execute(order_id: int):
    """Execute Order: everything left."""
    try:
        result = orders.execute(
            db.session,
            g.tenant_id,
            order_id,
            signed_in_user(),
            executed_status_id=_executed_status_id(),
        )
    except (ValidationFailed, Conflict, Forbidden, NotFound) as error:
        return _refused(order_id, error)
    flash(texts.ORDER_EXECUTED.format(number=(result.sub_order or result.order).number), "success")
    return see_other(url_for("bss_admin.order_detail", order_id=order_id))


@bp.post("/orders/<int:order_id>/execute-partial")
@bss_required()
def order_execute_partial(order_id: int):
    """Partial execution: the chosen quantity of each item (blank or 0: not now)."""
    quantities, errors = item_quantities(request.form, "execute-")
    try:
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        result = orders.execute(
            db.session,
            g.tenant_id,
            order_id,
            signed_in_user(),
            quantities,
            executed_status_id=_executed_status_id(),
        )
    except (ValidationFailed, Conflict, Forbidden, NotFound) as error:
        return _refused(order_id, error, block="products", execute_values=request.form)
    if result.fully_executed and result.sub_order is None:
        flash(texts.ORDER_EXECUTED.format(number=result.order.number), "success")
    else:
        flash(texts.ORDER_PARTLY_EXECUTED_AS.format(number=result.sub_order.number), "success")
    return see_other(url_for("bss_admin.order_detail", order_id=order_id))


@bp.post("/orders/<int:order_id>/copy")
@bss_required()
def order_copy(order_id: int):
    try:
        copy = orders.copy_order(db.session, g.tenant_id, order_id, signed_in_user())
    except (Conflict, Forbidden, NotFound) as error:
        return _refused(order_id, error)
    flash(texts.ORDER_COPIED.format(number=copy.number), "success")
    return see_other(url_for("bss_admin.order_detail", order_id=copy.id))


@bp.post("/orders/<int:order_id>/cancel")
@bss_required()
def order_cancel(order_id: int):
    try:
        orders.cancel_order(db.session, g.tenant_id, order_id, signed_in_user())
    except (Conflict, Forbidden, NotFound) as error:
        return _refused(order_id, error)
    flash(texts.BSS_ORDER_CANCELED, "success")
    return see_other(url_for("bss_admin.order_detail", order_id=order_id))


# --- Edit ------------------------------------------------------------------------------------


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
@bss_required()
def order_edit(order_id: int):
    detail = _detail(order_id)
    form = EditOrderForm(obj=detail.order)
    statuses = detail.assignable
    if detail.status not in statuses:
        statuses = [detail.status] + statuses  # shown, locked or not pickable
    form.status_id.choices = [(s.id, s.description) for s in statuses]
    # what the account invoiced may pay with (and the order's own method, kept as it is)
    current = detail.order.payment_method
    form.payment_method.choices = [
        (value, label)
        for value, label in form.payment_method.choices
        if value in detail.payment_methods or value == current
    ]
    if current not in {value for value, _label in form.payment_method.choices}:
        form.payment_method.choices.append((current, texts.PAYMENT_METHOD_LABELS.get(current)))
    form.responsible_user_id.choices = [("", "Nobody")] + orders.bss_users(db.session, g.tenant_id)
    errors: dict = {}
    message = None
    status = 200
    if form.validate_on_submit():
        # the posted fields only: a locked field is not on the form, and a crafted one is
        # refused by the service
        values = {
            name: getattr(form, name).data
            for name in sorted(permissions.ALL_FIELDS)
            if name in request.form
        }
        try:
            picked = detail.status_by_id(values.get("status_id"))
            if (
                picked is not None
                and picked.type == OrderStatusType.CANCELLED
                and picked.id != detail.order.status_id
                and not request.form.get("confirmed")
            ):
                preview = orders.preview_edit(db.session, g.tenant_id, order_id, values)
                if preview.cancel_status is not None:
                    # a Cancelled status cancels the order: asked first, as Cancel order is
                    return _edit_cancel_confirmation(detail, preview)
            orders.edit_order(db.session, g.tenant_id, order_id, signed_in_user(), values)
        except NotFound:
            abort(404)
        except (ValidationFailed, Conflict, Forbidden) as error:
            errors, message = error.errors, error.message
            status = 403 if isinstance(error, Forbidden) else error.http_status
        else:
            flash(texts.ORDER_SAVED, "success")
            return see_other(url_for("bss_admin.order_detail", order_id=order_id))
    elif form.is_submitted():
        status = 422
    return page(
        "bss_admin/orders/edit.html",
        block="edit_form",
        status=status,
        d=detail,
        form=form,
        errors=errors,
        message=message,
    )


def _edit_cancel_confirmation(detail, preview: orders.EditPreview):
    """Edit with a Cancelled status asks first (webapp.confirm): the posted form goes back to
    Edit with ``confirmed``; "No" goes back to the form (with htmx, closes the dialog over it,
    the form as it was typed)."""
    edit_url = url_for("bss_admin.order_edit", order_id=detail.order.id)
    hidden = {
        name: request.form.get(name, "")
        for name in sorted(permissions.ALL_FIELDS)
        if name in request.form
    }
    hidden["confirmed"] = "1"
    response = confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_CANCEL_ORDER_TITLE.format(number=detail.order.number),
            message=texts.CONFIRM_CANCEL_ORDER_BODY,
            yes_label=texts.CONFIRM_CANCEL_ORDER_YES,
            action_url=edit_url,
            back_url=edit_url,
            back_label=texts.CONFIRM_KEEP_ORDER,
            lines=[
                texts.CONFIRM_CANCEL_STATUS_LINE.format(status=preview.cancel_status.description)
            ]
            + (
                [texts.CONFIRM_CANCEL_EDIT_LINE.format(fields=", ".join(preview.fields))]
                if preview.fields
                else []
            ),
            hidden=hidden,
        ),
    )
    if is_htmx():
        # the dialog goes to the page's confirmation slot, not in place of the form
        response.headers["HX-Retarget"] = "#confirm-slot"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


# --- Export to -------------------------------------------------------------------------------


@bp.route("/orders/<int:order_id>/export.csv")
@bss_required()
def order_export_csv(order_id: int):
    detail = _detail(order_id)
    return Response(
        orders.order_csv(detail),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{detail.order.number}.csv"'},
    )


@bp.route("/orders/<int:order_id>/print")
@bss_required()
def order_print(order_id: int):
    return page("bss_admin/orders/print.html", d=_detail(order_id))
