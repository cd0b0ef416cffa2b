"""payment and dunning: payments of invoices, the account's saved card, dunning cases and
suspended subscriptions (issue 17, point 5)

``payment.order_id`` becomes nullable (a renewal invoice's payment has no order) and a payment
may name its invoice; existing rows keep their order and get no invoice.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 11:30:00

"""

import sqlalchemy as sa
from alembic import op

from migrations.sqlite_rebuild import foreign_keys_off

import core.db

revision = "0012"
# provisioning_task.order_id is nullable since 0011 (billing changes)
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    # rebuilding subscription (batch mode) drops a table other rows refer to: foreign
    # keys are off while it is rebuilt, and every key is checked after (as in 0008)
    with foreign_keys_off("0012"):
        _upgrade()




def _upgrade():
    with op.batch_alter_table("payment") as batch:
        batch.alter_column("order_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("value_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("recorded_by", sa.String(length=200), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_payment_invoice_id_invoice"), "invoice", ["invoice_id"], ["id"]
        )
        batch.create_index(batch.f("ix_payment_invoice_id"), ["invoice_id"])

    with op.batch_alter_table("subscription") as batch:
        batch.add_column(sa.Column("suspended_invoice_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("suspended_on", sa.Date(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_subscription_suspended_invoice_id_invoice"),
            "invoice",
            ["suspended_invoice_id"],
            ["id"],
        )

    op.create_table(
        "account_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=120), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("saved_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_card_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_account_card_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_card")),
        sa.UniqueConstraint("account_id", name=op.f("uq_account_card_account_id")),
    )

    op.create_table(
        "dunning_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("steps_done", sa.Integer(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_dunning_case_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_dunning_case_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_dunning_case_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_case")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_dunning_case_invoice_id")),
    )
    with op.batch_alter_table("dunning_case") as batch:
        batch.create_index(batch.f("ix_dunning_case_account_id"), ["account_id"])
        batch.create_index("ix_dunning_case_due", ["tenant_id", "status", "next_action_on"])


def downgrade():
    op.drop_table("dunning_case")
    op.drop_table("account_card")
    with op.batch_alter_table("subscription") as batch:
        batch.drop_constraint(
            batch.f("fk_subscription_suspended_invoice_id_invoice"), type_="foreignkey"
        )
        batch.drop_column("suspended_on")
        batch.drop_column("suspended_invoice_id")
    op.execute("DELETE FROM payment WHERE order_id IS NULL")
    with op.batch_alter_table("payment") as batch:
        batch.drop_index(batch.f("ix_payment_invoice_id"))
        batch.drop_constraint(batch.f("fk_payment_invoice_id_invoice"), type_="foreignkey")
        batch.drop_column("recorded_by")
        batch.drop_column("value_date")
        batch.drop_column("invoice_id")
        batch.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
