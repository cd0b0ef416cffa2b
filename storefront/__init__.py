"""The customer Storefront blueprint (PRODUCT.md section 5)."""

from flask import Blueprint

bp = Blueprint(
    "storefront",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from storefront import views  # noqa: E402,F401
