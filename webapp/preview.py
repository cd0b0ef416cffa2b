"""Template preview for designers (PRODUCT.md section 10): every page and partial in each of its
states, rendered from fixture data without a database. Registered only in development and in
tests (webapp.factory), so production answers 404.

``/_preview/`` lists the states; ``/_preview/<group>/<name>`` renders one. The states live in
webapp/preview_fixtures.py.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    render_template,
    request,
    url_for,
)

from webapp import preview_fixtures as fx
from webapp.web import is_htmx, render_block

bp = Blueprint("preview", __name__, url_prefix="/_preview")


@bp.before_request
def _fixture_tenant():
    # the Storefront's tenant and the signed-in user come from fixtures, never the database
    g.tenant = fx.TENANT
    g.tenant_id = fx.TENANT.id
    g._login_user = current_app.login_manager.anonymous_user()


def _is_customer() -> bool:
    return bool(getattr(g._login_user, "is_authenticated", False)) and (
        getattr(g._login_user, "kind", None) == "storefront"
    )


@bp.context_processor
def _preview_context():
    # stand-ins for the helpers the Storefront and BSS blueprints give their templates; a
    # state's own context wins over these (e.g. ``basket_count=lambda: 0``)
    return {
        "status_colors_url": url_for("preview.status_colors"),
        "is_customer": _is_customer,
        "basket_count": lambda: fx.BASKET_COUNT if _is_customer() else 0,
        "schedule_window_for": fx.schedule_window_for,
    }


@bp.route("/")
def index():
    groups = [
        (title, [s for s in fx.STATES.values() if s.group == group])
        for group, title in fx.GROUPS.items()
    ]
    return render_template("preview/index.html", groups=groups, total=len(fx.STATES))


@bp.route("/status-colors.css")
def status_colors():
    css = "\n".join(
        f".status-color-{c[1:]} {{ background-color: {c}; }}" for c in fx.status_colors()
    )
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    return response


@bp.route("/<group>/<name>")
def show(group: str, name: str):
    state = fx.STATES.get((group, name))
    if state is None:
        abort(404)
    if state.user is not None:
        g._login_user = state.user
    context = dict(state.context())
    for category, message in context.pop("preview_flashes", ()):
        flash(message, category)
    context["preview_state"] = state
    if is_htmx() and request.args.get("block"):
        # a region of the page alone, as htmx asks for it
        template = current_app.jinja_env.get_template(state.template)
        if request.args["block"] not in template.blocks:
            abort(404)
        return render_block(state.template, request.args["block"], **context)
    if state.block:
        fragment = render_block(state.template, state.block, **context)
        return render_template("preview/fragment.html", fragment=fragment, preview_state=state)
    return render_template(state.template, **context)


def state_urls() -> list[str]:
    """Every state's URL (for tests and the screenshot run)."""
    return [url_for("preview.show", group=s.group, name=s.name) for s in fx.STATES.values()]
