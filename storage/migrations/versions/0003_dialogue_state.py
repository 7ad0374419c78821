"""dialogue (FSM) state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # storage.fsm.SqlFsmStorage: aiogram dialogue state, one row per StorageKey.
    op.create_table(
        "dialogue_state",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("business_connection_id", sa.String(length=255), nullable=False),
        sa.Column("destiny", sa.String(length=255), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bot_id", "chat_id", "user_id", "thread_id", "business_connection_id", "destiny", name=op.f("pk_dialogue_state")
        ),
    )
    with op.batch_alter_table("dialogue_state", schema=None) as batch_op:
        batch_op.create_index("ix_dialogue_state_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dialogue_state", schema=None) as batch_op:
        batch_op.drop_index("ix_dialogue_state_updated_at")
    op.drop_table("dialogue_state")
