"""idempotency keys of applied chat commands; copies of cards the bot sent

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_commands",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_applied_commands")),
    )
    with op.batch_alter_table("applied_commands", schema=None) as batch_op:
        batch_op.create_index("ix_applied_commands_at", ["at"], unique=False)
    op.create_table(
        "card_copies",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("viewer_id", sa.BigInteger(), nullable=True),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("digest", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_card_copies")),
    )
    with op.batch_alter_table("card_copies", schema=None) as batch_op:
        batch_op.create_index("ix_card_copies_ref", ["kind", "ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("card_copies", schema=None) as batch_op:
        batch_op.drop_index("ix_card_copies_ref")
    op.drop_table("card_copies")
    with op.batch_alter_table("applied_commands", schema=None) as batch_op:
        batch_op.drop_index("ix_applied_commands_at")
    op.drop_table("applied_commands")
