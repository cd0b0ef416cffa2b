"""The BSS back-office blueprint (PRODUCT.md section 6)."""

# one import line per feature module, appended by its author: not merged into one statement
# ruff: noqa: I001

from flask import Blueprint

bp = Blueprint("bss_admin", __name__, template_folder="templates")

from bss_admin import setup_views, views  # noqa: E402,F401
from bss_admin import dashboard_views, orders_views  # noqa: E402,F401
from bss_admin import backorder_views  # noqa: E402,F401
from bss_admin import offers_views  # noqa: E402,F401
from bss_admin.catalogue import views as catalogue_views  # noqa: E402,F401
from bss_admin.catalogue import price_list_views as catalogue_price_list_views  # noqa: E402,F401
from bss_admin.catalogue import plan_views as catalogue_plan_views  # noqa: E402,F401
from bss_admin.catalogue import bundle_views as catalogue_bundle_views  # noqa: E402,F401
from bss_admin.catalogue import csv_views as catalogue_csv_views  # noqa: E402,F401
from bss_admin.catalogue import promotion_views as catalogue_promotion_views  # noqa: E402,F401
from bss_admin.api_keys import views as api_key_views  # noqa: E402,F401  (issue 18)
from bss_admin.accounts import views as accounts_views  # noqa: E402,F401
from bss_admin.people import views as people_views  # noqa: E402,F401
from bss_admin.people import two_factor_views  # noqa: E402,F401
from bss_admin.queue import views as queue_views  # noqa: E402,F401
from bss_admin.billing import views as billing_views  # noqa: E402,F401  (issue 17)
from bss_admin import invoice_payment_views  # noqa: E402,F401  (issue 17)
from bss_admin.accounts import confirm_views as account_confirm_views  # noqa: E402,F401
from bss_admin.people import confirm_views as people_confirm_views  # noqa: E402,F401
