"""The BSS back-office blueprint (PRODUCT.md section 6)."""

# one import line per feature module, appended by its author: not merged into one statement
# ruff: noqa: I001

from flask import Blueprint

bp = Blueprint("bss_admin", __name__, template_folder="templates")

from bss_admin import setup_views, views  # noqa: E402,F401
from bss_admin import dashboard_views, orders_views  # noqa: E402,F401
from bss_admin import backorder_views  # noqa: E402,F401
from bss_admin import offers_views  # noqa: E402,F401
