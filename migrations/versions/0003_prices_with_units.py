"""prices with their unit (issue 13): product.unit, the tenant's default price list

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "product", sa.Column("unit", sa.String(length=40), server_default="", nullable=False)
    )
    op.add_column(
        "price_list",
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "uq_price_list_default",
        "price_list",
        ["tenant_id"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )


def downgrade():
    op.drop_index("uq_price_list_default", table_name="price_list")
    with op.batch_alter_table("price_list") as batch_op:
        batch_op.drop_column("is_default")
    with op.batch_alter_table("product") as batch_op:
        batch_op.drop_column("unit")
