"""Jinja filters: money as Decimal, times in the viewer's zone and format."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from core.rules.scheduling import zone
from webapp.web import request_memo

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(value, currency: str = "EUR") -> str:
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


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
