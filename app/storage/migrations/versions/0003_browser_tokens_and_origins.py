"""browser tokens' signing secret, tenants' allowed origins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Origins a tenant's pages may call us from (CORS), space-separated: none by default.
    op.add_column("tenants", sa.Column("allowed_origins", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_column("tenants", "allowed_origins")
