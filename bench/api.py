"""The public API in the server-time table (issue 18, point 9): listing orders through
``GET /api/v1/orders`` at the data set's 200,000 orders, the first page and a deep cursor page
(100,000 orders in), timed in-process like the BSS pages (``inprocess.time_request``).

The calls carry an API key created here in the bench data set (a read key of the bench's BSS
admin, revoked when the timings are taken)."""

from __future__ import annotations

from sqlalchemy import select

from bench.harness import BSS_EMAIL
from bench.inprocess import Timing, time_request

PAGE = 50  # the API's default page size, as the BSS list's


def _key(app) -> tuple[str, int, int]:
    """A fresh read key of the bench's BSS admin: (token, key id, tenant id)."""
    from core.models import User
    from core.services import api_keys
    from webapp.extensions import db

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == BSS_EMAIL))
        created = api_keys.create_key(
            db.session,
            admin.tenant_id,
            admin,
            name="benchmark",
            user_id=admin.id,
            scope="read",
            expires_in_days=1,
        )
        return created.token, created.key.id, admin.tenant_id


def _revoke(app, key_id: int, tenant_id: int) -> None:
    from core.models import User
    from core.services import api_keys
    from webapp.extensions import db

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == BSS_EMAIL))
        api_keys.revoke_key(db.session, tenant_id, admin, key_id)
        db.session.remove()


def _deep_cursor(app, tenant_id: int, depth: int = 100_000) -> str:
    """The API's cursor after the order at ``depth`` in newest-first order."""
    from core.models import Order
    from core.services.orders import encode_cursor
    from webapp.extensions import db

    with app.app_context():
        total = db.session.query(Order.id).filter(Order.tenant_id == tenant_id).count()
        row = db.session.execute(
            select(Order.order_date, Order.id)
            .where(Order.tenant_id == tenant_id)
            .order_by(Order.order_date.desc(), Order.id.desc())
            .offset(min(depth, max(0, total // 2)))
            .limit(1)
        ).one()
        db.session.rollback()
        return encode_cursor(row[0], row[1])


def orders_list_timings(app, client) -> list[Timing]:
    token, key_id, tenant_id = _key(app)
    headers = {"Authorization": f"Bearer {token}"}
    deep = _deep_cursor(app, tenant_id)
    try:
        return [
            time_request(
                app,
                client,
                "API orders list, first page",
                "GET",
                f"/api/v1/orders?limit={PAGE}",
                headers=headers,
            ),
            time_request(
                app,
                client,
                "API orders list, deep cursor page",
                "GET",
                f"/api/v1/orders?limit={PAGE}&cursor={deep}",
                headers=headers,
            ),
        ]
    finally:
        _revoke(app, key_id, tenant_id)
