"""Jinja filters: money as Decimal, prices with their unit, times in the viewer's zone and
format."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from core.rules import pricing as pricing_rules
from core.rules.scheduling import zone
from core.services import pricing
from webapp.web import request_memo


def money(value, currency: str = "EUR") -> str:
    if value is None:
        return ""
    return pricing_rules.format_money(Decimal(value), currency)


def priced(value, billing_cycle: str | None, unit: str | None = "", currency: str = "EUR") -> str:
    """A unit price with what it is for: ``{{ 9 | priced("monthly", "user") }}`` reads
    "€9.00 per user / month" (core.rules.pricing.price_with_unit, the one formatter)."""
    if value is None:
        return ""
    return pricing_rules.price_with_unit(Decimal(value), billing_cycle, unit, currency)


def priced_for_cycles(value, billing_cycles, unit: str | None = "", currency: str = "EUR") -> str:
    """A price billed with the plan chosen, e.g. an add-on's on a product page
    (core.rules.pricing.price_for_cycles)."""
    if value is None:
        return ""
    return pricing_rules.price_for_cycles(Decimal(value), billing_cycles, unit, currency)


def item_price(item, currency: str = "EUR") -> str:
    """An order item's or invoice line's unit price with its unit."""
    cycle, unit = pricing.price_unit_of(item)
    return priced(item.unit_price, cycle, unit, currency)


def item_unit(item) -> str:
    """What an item's price is for, alone ("per user / month"): beside a price being typed."""
    return pricing_rules.price_unit(*pricing.price_unit_of(item))


def item_amount(item) -> Decimal:
    """An order item's amount: unit price × quantity, less its promotion; an increase of a
    subscription (issue 17): its prorated charge now."""
    if getattr(item, "charge_now", None) is not None:
        return item.charge_now
    return pricing_rules.line_amount(item.unit_price, item.quantity, item.discount_percent)


def _viewer() -> tuple[ZoneInfo, str]:
    """The viewer's time zone and date format, looked up once per request (a list of orders
    formats a date on every row)."""
    memo = request_memo()
    if "viewer" not in memo:
        name = getattr(current_user, "timezone", None) if current_user else None
        fmt = (getattr(current_user, "date_format", None) if current_user else None) or "%d/%m/%Y"
        memo["viewer"] = (zone(name), fmt)
    return memo["viewer"]


def localdate(value) -> str:
    if value is None:
        return ""
    zone, fmt = _viewer()
    if isinstance(value, datetime):
        value = value.astimezone(zone)
    return value.strftime(fmt)


def localdatetime(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return localdate(value)
    zone, fmt = _viewer()
    return value.astimezone(zone).strftime(fmt + " %H:%M")


def register(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, localdate=localdate, localdatetime=localdatetime)
    app.jinja_env.filters.update(  # issue 13 (prices)
        priced=priced,
        priced_for_cycles=priced_for_cycles,
        item_price=item_price,
        item_unit=item_unit,
        item_amount=item_amount,
        order_totals=pricing.order_totals,
        invoice_totals=pricing.invoice_totals,
    )
    # recurring billing (issue 17): a period's last day (its end is exclusive)
    app.jinja_env.filters["period_last_day"] = lambda end: end - timedelta(days=1) if end else end
