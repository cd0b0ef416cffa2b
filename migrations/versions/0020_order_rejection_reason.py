"""the reason a reseller gave for rejecting an order, kept on the order

The customer's order page shows it (it was only in the e-mail). Orders rejected before keep
it in their approval hold's release note ("Rejected by the reseller: <reason>"): it is copied.

Revision ID: 0020_order_rejection_reason
Revises: 0019_credit_notes_issued
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_order_rejection_reason"
down_revision = "0019_credit_notes_issued"
branch_labels = None
depends_on = None

PREFIX = "Rejected by the reseller: "  # core.texts.RESELLER_REJECTED_NOTE when it was written


def upgrade() -> None:
    with op.batch_alter_table("order") as batch:
        batch.add_column(sa.Column("rejection_reason", sa.Text(), nullable=True))
    order = sa.table("order", sa.column("id"), sa.column("rejection_reason"))
    hold = sa.table(
        "order_hold", sa.column("order_id"), sa.column("reason"), sa.column("release_note")
    )
    note = (
        sa.select(sa.func.substr(hold.c.release_note, len(PREFIX) + 1))
        .where(
            hold.c.order_id == order.c.id,
            hold.c.reason == "reseller_approval",
            hold.c.release_note.like(PREFIX + "%"),
        )
        .limit(1)
        .scalar_subquery()
    )
    op.execute(order.update().values(rejection_reason=note))


def downgrade() -> None:
    with op.batch_alter_table("order") as batch:
        batch.drop_column("rejection_reason")
