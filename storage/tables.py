"""The schema. Alembic migrations in storage/migrations create exactly this."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from storage.types import Money, Qty, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # the Telegram user id
    Column("name", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("roles", String(120), nullable=False),
    Column("active", Boolean, nullable=False),
    # True once the person picked a language in /settings (it then wins over their Telegram app's).
    Column("language_chosen", Boolean, nullable=False, server_default=false()),
)


def _partner(name: str, *extra: Column) -> Table:  # type: ignore[type-arg]
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("code", String(32), nullable=False),
        Column("code_key", String(32), nullable=False, unique=True),
        Column("name", String(120), nullable=False),
        Column("phone", String(64)),
        Column("email", String(120)),
        Column("chat", String(64)),
        Column("currency", String(3), nullable=False),
        Column("payment_terms", String(120)),
        Column("active", Boolean, nullable=False),
        *extra,
    )


suppliers = _partner("suppliers", Column("lead_time_days", Integer, nullable=False))
customers = _partner("customers")

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(32), nullable=False),
    Column("sku_key", String(32), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("barcode", String(64)),
    Column("category", String(64)),
    Column("reorder_point", Qty, nullable=False),
    Column("reorder_qty", Qty),
    Column("max_qty", Qty),
    Column("pack_size", Qty, nullable=False),
    Column("lead_time_days", Integer, nullable=False),
    Column("default_supplier_id", ForeignKey("suppliers.id")),
    Column("std_cost", Money),
    Column("last_cost", Money),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)

stock_balances = Table(
    "stock_balances",
    metadata,
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), primary_key=True),
    Column("on_hand", Qty, nullable=False),
    Column("reserved", Qty, nullable=False),
    # Backstops: the conditional updates in storage.stock never let these fail.
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("on_hand >= reserved", name="reserved_within_on_hand"),
)

stock_moves = Table(
    "stock_moves",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("qty", Qty, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("ref", String(40), nullable=False),
    Column("actor_id", BigInteger),
    Column("source", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_stock_moves_item_wh", "item_id", "warehouse_id"),
    Index("ix_stock_moves_ref", "ref"),
    Index("ix_stock_moves_at", "at"),
)

sequences = Table(
    "sequences",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expected_date", Date),
    Column("approval_round", Integer, nullable=False),
    Column("approvals_needed", Integer, nullable=False),
    Column("approver_roles", String(120), nullable=False),
    Column("submitted_at", UtcDateTime),
    Column("approved_at", UtcDateTime),
    Column("first_receipt_at", UtcDateTime),
    Column("note", Text),
    Column("version", Integer, nullable=False),
    Index("ix_purchase_orders_status_expected", "status", "expected_date"),
    Index("ix_purchase_orders_supplier_status", "supplier_id", "status"),
    Index("ix_purchase_orders_created_by_status", "created_by", "status"),  # "my POs" (storage.views)
)

po_lines = Table(
    "po_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("qty", Qty, nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("received_qty", Qty, nullable=False),
    UniqueConstraint("po_id", "line_no", name="uq_po_lines_po_line"),
    Index("ix_po_lines_item", "item_id"),
    CheckConstraint("received_qty >= 0", name="received_not_negative"),
)

po_decisions = Table(
    "po_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_id", ForeignKey("purchase_orders.id", ondelete="CASCADE"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("approve", Boolean, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("reason", Text),
    # One person decides once per approval round, whatever the application does.
    UniqueConstraint("po_id", "round", "user_id", name="uq_po_decisions_once"),
)

sales_orders = Table(
    "sales_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("promised_date", Date),
    Column("confirmed_at", UtcDateTime),
    Column("note", Text),
    Column("version", Integer, nullable=False),
    Index("ix_sales_orders_status_promised", "status", "promised_date"),
    Index("ix_sales_orders_created_by_status", "created_by", "status"),  # "my SOs" (storage.views)
)

so_lines = Table(
    "so_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("so_id", ForeignKey("sales_orders.id", ondelete="CASCADE"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("qty", Qty, nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("reserved_qty", Qty, nullable=False),
    Column("shipped_qty", Qty, nullable=False),
    UniqueConstraint("so_id", "line_no", name="uq_so_lines_so_line"),
    Index("ix_so_lines_item", "item_id"),
    CheckConstraint("reserved_qty >= 0", name="reserved_not_negative"),
    CheckConstraint("shipped_qty + reserved_qty <= qty", name="within_ordered"),
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("so_id", ForeignKey("sales_orders.id", ondelete="CASCADE"), nullable=False),
    Column("shipment_no", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("by", BigInteger),
    Column("carrier", String(64)),
    Column("tracking", String(64)),
    UniqueConstraint("so_id", "shipment_no", name="uq_shipments_so_no"),
)

shipment_lines = Table(
    "shipment_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shipment_id", ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("qty", Qty, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_id", BigInteger),
    Column("source", String(16), nullable=False),
    Column("entity", String(16), nullable=False),
    Column("ref", String(40), nullable=False),
    Column("action", String(48), nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_audit_log_ref", "ref"),
    Index("ix_audit_log_at", "at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("kind", String(48), nullable=False),
    Column("dedup_key", String(120), unique=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(12), nullable=False),  # pending, sent, dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("last_error", Text),
    Index("ix_outbox_status_next", "status", "next_attempt_at"),
)

# Dialogue (FSM) state, one row per aiogram StorageKey (storage.fsm). A missing thread or
# business connection is stored as 0 / '' so that the primary key works on every backend.
dialogue_state = Table(
    "dialogue_state",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("thread_id", BigInteger, primary_key=True, autoincrement=False),
    Column("business_connection_id", String(255), primary_key=True),
    Column("destiny", String(255), primary_key=True),
    Column("state", Text),
    Column("data", Text, nullable=False),  # a JSON object, as text
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_dialogue_state_updated_at", "updated_at"),  # purge_expired
)

# Telegram updates whose business effect is committed (domain.commands.Command.idempotency_key):
# written in the same transaction as the effect, so a redelivered update cannot apply twice.
applied_commands = Table(
    "applied_commands",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_applied_commands_at", "at"),
)

# Every copy of a PO/SO card the bot sent, so a decision can edit them all in place.
card_copies = Table(
    "card_copies",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("message_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(1), nullable=False),  # p or s
    Column("ref", String(32), nullable=False),
    Column("viewer_id", BigInteger),  # whose buttons it shows; NULL for a group's copy
    Column("lang", String(2), nullable=False),
    Column("digest", String(40), nullable=False),  # of what it shows now: an unchanged card is not re-sent
    Column("at", UtcDateTime, nullable=False),
    Index("ix_card_copies_ref", "kind", "ref"),
)

# --- alerts (issue 6): routing, delivery, episodes, jobs ------------------------------------

# Where an alert kind goes besides the people it concerns: a group chat or one forum topic,
# bound by an admin with /bind (or from config.toml). thread_id 0 = the chat itself.
alert_bindings = Table(
    "alert_bindings",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("thread_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), primary_key=True),
    Column("created_by", BigInteger),  # NULL when it came from config.toml
    Column("created_at", UtcDateTime, nullable=False),
)

# Every chat the sender delivers to (groups and private chats): its language, and whether it
# still accepts messages (a 403 marks it inactive, once; the admins are told once).
chat_targets = Table(
    "chat_targets",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_type", String(12), nullable=False),  # private, group, supergroup, channel
    Column("title", String(255)),
    Column("language", String(2), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("inactive_reason", Text),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One message to one chat, rendered when the outbox row was routed; the sender drains these
# per chat in id order. (outbox_id, chat_id, thread_id) unique: routing twice adds nothing.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("outbox_id", BigInteger, ForeignKey("outbox.id")),
    Column("part", Integer, nullable=False),  # a long digest is several messages
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),  # the alert kind
    Column("text", Text),
    Column("markup", JSON),  # inline keyboard as Bot API JSON
    Column("photo", LargeBinary),  # a chart: sent as a photo with `text` as its caption
    Column("card_kind", String(1)),  # p or s: remember the message as a card copy
    Column("card_ref", String(32)),
    Column("viewer_id", BigInteger),
    Column("lang", String(2), nullable=False),
    Column("status", String(12), nullable=False),  # pending, sent, dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("message_id", BigInteger),
    Column("last_error", Text),
    UniqueConstraint("outbox_id", "chat_id", "thread_id", "part", name="uq_deliveries_route"),
    Index("ix_deliveries_status_chat", "status", "chat_id", "id"),
)

# Alert episodes: a low-stock alert fires when an episode opens (the item dropped below its
# reorder point) and not again until it closed (recovered) and a new one opened.
alert_episodes = Table(
    "alert_episodes",
    metadata,
    Column("key", String(120), primary_key=True),  # e.g. low_stock:<item id>
    Column("episode", Integer, nullable=False),
    Column("open", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Scheduled job runs by period (a local day for the digest): a period runs once, also with two
# instances or after downtime.
job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(48), primary_key=True),
    Column("period", String(32), primary_key=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("outcome", Text),
)

# Personal alerts a user turned off in /settings.
alert_mutes = Table(
    "alert_mutes",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("kind", String(32), primary_key=True),
)
