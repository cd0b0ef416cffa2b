"""The Flask application: factory, extensions, security wiring, CLI commands.

The Storefront and the BSS admin are blueprints (``storefront``, ``bss_admin``); both call the
use cases in :mod:`core.services`.
"""

from webapp.factory import create_app

__all__ = ["create_app"]
