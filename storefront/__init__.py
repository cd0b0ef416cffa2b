"""The customer Storefront blueprint (PRODUCT.md section 5)."""
# ruff: noqa: I001  (one import line per view module, so parallel work never conflicts)

from flask import Blueprint

bp = Blueprint(
    "storefront",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from storefront import views  # noqa: E402,F401
from storefront import basket_views  # noqa: E402,F401
from storefront import subscription_views  # noqa: E402,F401
from storefront import checkout_views  # noqa: E402,F401
from storefront import billing_views  # noqa: E402,F401
from storefront import scheduled_views  # noqa: E402,F401
from storefront import reseller_views  # noqa: E402,F401
from storefront import payment_views  # noqa: E402,F401
from storefront import people_views  # noqa: E402,F401
from storefront import subscription_change_views  # noqa: E402,F401
from storefront import invoice_payment_views  # noqa: E402,F401  (issue 17)
