"""alert routing, deliveries, episodes, job runs, mutes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 23:08:54.365287
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "alert_bindings",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "thread_id", "kind", name=op.f("pk_alert_bindings")),
    )
    op.create_table(
        "alert_episodes",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_alert_episodes")),
    )
    op.create_table(
        "chat_targets",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_type", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("inactive_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_chat_targets")),
    )
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=48), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("job", "period", name=op.f("pk_job_runs")),
    )
    op.create_table(
        "alert_mutes",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_alert_mutes_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_alert_mutes")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=True),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("markup", sa.JSON(), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("card_kind", sa.String(length=1), nullable=True),
        sa.Column("card_ref", sa.String(length=32), nullable=True),
        sa.Column("viewer_id", sa.BigInteger(), nullable=True),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_deliveries_outbox_id_outbox")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("outbox_id", "chat_id", "thread_id", "part", name="uq_deliveries_route"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_status_chat", ["status", "chat_id", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_status_chat")

    op.drop_table("deliveries")
    op.drop_table("alert_mutes")
    op.drop_table("job_runs")
    op.drop_table("chat_targets")
    op.drop_table("alert_episodes")
    op.drop_table("alert_bindings")
