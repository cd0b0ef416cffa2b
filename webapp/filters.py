"""Jinja filters: money as Decimal, times in the viewer's zone and format."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(value, currency: str = "EUR") -> str:
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def _zone() -> ZoneInfo:
    name = getattr(current_user, "timezone", None) if current_user else None
    try:
        return ZoneInfo(name or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def localdate(value) -> str:
    if value is None:
        return ""
    fmt = getattr(current_user, "date_format", None) or "%d/%m/%Y"
    if isinstance(value, datetime):
        value = value.astimezone(_zone())
    return value.strftime(fmt)


def localdatetime(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return localdate(value)
    fmt = (getattr(current_user, "date_format", None) or "%d/%m/%Y") + " %H:%M"
    return value.astimezone(_zone()).strftime(fmt)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, localdate=localdate, localdatetime=localdatetime)
