"""turn idempotency keys, key scopes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("turns", sa.Column("client_key", sa.String(128), nullable=True))
    # A unique index, not a constraint: SQLite can add one without rebuilding the table, and
    # NULLs (turns sent without a key) never collide on either database.
    op.create_index("uq_turn_client_key", "turns", ["conversation_id", "client_key"], unique=True)
    op.add_column("api_keys", sa.Column("scope", sa.String(16), nullable=False, server_default="coach"))


def downgrade() -> None:
    op.drop_column("api_keys", "scope")
    op.drop_index("uq_turn_client_key", table_name="turns")
    op.drop_column("turns", "client_key")
