"""billing changes (issue 17, point 3): pending decreases, downgrades and cancellations; an
order item's prorated charge; the trial's "continue on the paid plan" and its notice;
provisioning tasks the billing run writes without an order (a cancellation at period end)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 11:10:00

"""

import sqlalchemy as sa
from alembic import op

from migrations.sqlite_rebuild import foreign_keys_off

import core.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None




def _order_id_nullable(nullable: bool) -> None:
    with foreign_keys_off("0011"):
        with op.batch_alter_table("provisioning_task") as batch:
            batch.alter_column("order_id", existing_type=sa.Integer(), nullable=nullable)


def upgrade():
    op.create_table(
        "subscription_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("addon_id", sa.Integer(), nullable=True),
        sa.Column("from_quantity", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("target_product_id", sa.Integer(), nullable=True),
        sa.Column("target_plan_id", sa.Integer(), nullable=True),
        sa.Column("unit_price", sa.Numeric(14, 2), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "quantity IS NULL OR quantity >= 1",
            name=op.f("ck_subscription_change_quantity_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["addon_id"], ["addon.id"], name=op.f("fk_subscription_change_addon_id_addon")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["user.id"],
            name=op.f("fk_subscription_change_created_by_user_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_subscription_change_subscription_id_subscription"),
        ),
        sa.ForeignKeyConstraint(
            ["target_plan_id"], ["plan.id"], name=op.f("fk_subscription_change_target_plan_id_plan")
        ),
        sa.ForeignKeyConstraint(
            ["target_product_id"],
            ["product.id"],
            name=op.f("fk_subscription_change_target_product_id_product"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_subscription_change_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_change")),
    )
    with op.batch_alter_table("subscription_change") as batch:
        batch.create_index(
            "ix_subscription_change_due", ["tenant_id", "status", "effective_on"], unique=False
        )
        batch.create_index(
            batch.f("ix_subscription_change_subscription_id"), ["subscription_id"], unique=False
        )
        batch.create_index(
            "uq_subscription_change_pending",
            ["subscription_id", "slot"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(
            sa.Column("trial_converts", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("trial_notice_sent_on", sa.Date(), nullable=True))
    with op.batch_alter_table("order_item") as batch:
        batch.add_column(sa.Column("charge_now", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("charge_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("charge_to", sa.Date(), nullable=True))
    _order_id_nullable(True)


def downgrade():
    op.execute(
        "DELETE FROM provisioning_attempt WHERE task_id IN "
        "(SELECT id FROM provisioning_task WHERE order_id IS NULL)"
    )
    op.execute("DELETE FROM provisioning_task WHERE order_id IS NULL")
    _order_id_nullable(False)
    with op.batch_alter_table("order_item") as batch:
        for column in ("charge_to", "charge_from", "charge_now"):
            batch.drop_column(column)
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("trial_notice_sent_on")
        batch.drop_column("trial_converts")
    op.drop_table("subscription_change")
