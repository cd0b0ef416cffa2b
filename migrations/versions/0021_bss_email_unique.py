"""one BSS user per e-mail address across all tenants

The BSS sign-in (/bss/login) finds its user by the address alone (it names the tenant). Two
tenants could each have a BSS user with one address (an admin of one tenant invited another
tenant's admin): the sign-in then found two and let neither in. The invitation now refuses
such an address; this partial unique index on the lower-cased address of BSS users keeps it
so when two tenants invite one address at the same moment. Storefront users stay unique per
tenant only.

A database that already holds such twins is not changed: the upgrade stops and names the
addresses, to be given to one BSS user each (or the waiting invitation deleted) first.

Revision ID: 0021_bss_email_unique
Revises: 0020_order_rejection_reason
Create Date: 2026-12-06 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_bss_email_unique"
down_revision = "0020_order_rejection_reason"
branch_labels = None
depends_on = None

_BSS = sa.text("kind = 'bss'")


def _shared_bss_addresses(connection) -> list[str]:
    user = sa.table("user", sa.column("email"), sa.column("kind"))
    address = sa.func.lower(user.c.email)
    query = (
        sa.select(address)
        .where(user.c.kind == "bss")
        .group_by(address)
        .having(sa.func.count() > 1)
        .order_by(address)
    )
    return list(connection.scalars(query))


def upgrade() -> None:
    shared = _shared_bss_addresses(op.get_bind())
    if shared:
        raise RuntimeError(
            "These addresses belong to more than one BSS user (of several tenants), so none "
            "of them can sign in at /bss/login: "
            + ", ".join(shared)
            + ". Give each BSS user an address of their own (or delete the invitation still "
            "waiting), then upgrade again."
        )
    op.create_index(
        "uq_user_bss_email",
        "user",
        [sa.text("lower(email)")],
        unique=True,
        sqlite_where=_BSS,
        postgresql_where=_BSS,
    )


def downgrade() -> None:
    op.drop_index("uq_user_bss_email", table_name="user")
