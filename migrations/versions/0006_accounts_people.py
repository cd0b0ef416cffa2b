"""accounts and people (issue 14): VAT number and deactivation of accounts, the accounts list
index by kind, the credit limit change record, teams of BSS users, two-factor sign-in, self-registration

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:00:00

"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("vat_number", sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(
            sa.Column(
                "registration_pending", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    op.create_index("ix_account_tenant_kind_name", "account", ["tenant_id", "kind", "name", "id"])
    op.create_table(
        "credit_limit_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("from_limit", core.db.Money(precision=14, scale=2), nullable=True),
        sa.Column("to_limit", core.db.Money(precision=14, scale=2), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_credit_limit_change_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["user.id"], name=op.f("fk_credit_limit_change_actor_user_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_credit_limit_change_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_limit_change")),
    )
    op.create_index(
        op.f("ix_credit_limit_change_account_id"), "credit_limit_change", ["account_id"]
    )
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_team_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_team_tenant_id_name")),
    )
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_user_team_id"), ["team_id"])
        batch.create_foreign_key(batch.f("fk_user_team_id_team"), "team", ["team_id"], ["id"])
        batch.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("recovery_codes", sa.Text(), nullable=True))
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(
            sa.Column(
                "two_factor_required", sa.String(length=10), server_default="off", nullable=False
            )
        )
        batch.add_column(
            sa.Column(
                "self_registration", sa.String(length=10), server_default="off", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("self_registration")
        batch.drop_column("two_factor_required")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("recovery_codes")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
        batch.drop_constraint(batch.f("fk_user_team_id_team"), type_="foreignkey")
        batch.drop_index(batch.f("ix_user_team_id"))
        batch.drop_column("team_id")
    op.drop_table("team")
    op.drop_index(op.f("ix_credit_limit_change_account_id"), table_name="credit_limit_change")
    op.drop_table("credit_limit_change")
    op.drop_index("ix_account_tenant_kind_name", table_name="account")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("registration_pending")
        batch.drop_column("active")
        batch.drop_column("vat_number")
