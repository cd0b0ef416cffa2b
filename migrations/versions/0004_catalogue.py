"""catalogue back office: published and one-off/recurring products, plan commitment terms,
fixed-amount and per-plan promotions, audit lookups (issue 15)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product") as batch:
        batch.add_column(
            sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column(
                "billing_kind", sa.String(length=20), nullable=False, server_default="recurring"
            )
        )
    with op.batch_alter_table("plan") as batch:
        batch.add_column(
            sa.Column("commitment_months", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("promotion") as batch:
        batch.alter_column("percent_off", existing_type=sa.Numeric(14, 2), nullable=True)
        batch.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="percent")
        )
        batch.add_column(sa.Column("amount_off", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("plan_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_promotion_plan_id_plan", "plan", ["plan_id"], ["id"])
        batch.create_check_constraint("amount_positive", "amount_off > 0")
        batch.create_check_constraint(
            "kind_value",
            "(kind = 'percent' AND percent_off IS NOT NULL) "
            "OR (kind = 'amount' AND amount_off IS NOT NULL)",
        )
    op.create_index("ix_audit_entry_entity", "audit_entry", ["tenant_id", "entity", "entity_id"])


def downgrade():
    op.drop_index("ix_audit_entry_entity", table_name="audit_entry")
    with op.batch_alter_table("promotion") as batch:
        batch.drop_constraint("ck_promotion_kind_value", type_="check")
        batch.drop_constraint("ck_promotion_amount_positive", type_="check")
        batch.drop_constraint("fk_promotion_plan_id_plan", type_="foreignkey")
        batch.drop_column("plan_id")
        batch.drop_column("amount_off")
        batch.drop_column("kind")
        batch.alter_column("percent_off", existing_type=sa.Numeric(14, 2), nullable=False)
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("commitment_months")
    with op.batch_alter_table("product") as batch:
        batch.drop_column("billing_kind")
        batch.drop_column("published")
