"""JSON Lines import and export: every table, row by row, all or nothing.

A line is `{"type": "<table>", ...columns}`. Export writes tables parents first, rows in
primary-key order, so two stores with the same content export byte-identical files. Import
validates every line before writing anything, then inserts everything in one transaction:
a bad line is reported as `line N: field: problem` and the store is left as it was.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError, create_model
from sqlalchemy import Engine, Integer, LargeBinary, Table, insert, select, text, tuple_
from sqlalchemy.exc import IntegrityError

from cstui.domain import events
from cstui.domain.channels import AutoKind, DeliveryKind, DeliveryState
from cstui.domain.inputs import int_problem, require_text
from cstui.domain.model import (
    ArticleKind,
    ArticleLang,
    Category,
    Channel,
    Department,
    EscalationState,
    EventKind,
    GoodsType,
    MessageKind,
    Priority,
    Role,
    Shift,
    Status,
    Tier,
)
from cstui.errors import BadInput, Conflict
from cstui.store import figures, ticket_index
from cstui.store.kb.index import index_imported
from cstui.store.schema import (
    AGENTS,
    ARTICLES,
    ATTACHMENTS,
    CONVERSATIONS,
    CUSTOMERS,
    DELIVERIES,
    ESCALATIONS,
    EVENTS,
    LINKS,
    MAILBOX_CURSORS,
    MESSAGES,
    ORDERS,
    TICKETS,
    TRANSFERS,
    UtcDateTime,
)

# Parents before children: the order of export and of insertion on import.
TABLES: dict[str, Table] = {
    "agent": AGENTS,
    "customer": CUSTOMERS,
    "order": ORDERS,
    "ticket": TICKETS,
    "message": MESSAGES,
    "escalation": ESCALATIONS,
    "transfer": TRANSFERS,
    "link": LINKS,
    # Channels: chat conversations, the outbox (sent, failed and still queued: a queued one
    # is sent by the importing store's workers), files (their bytes as base64) and where
    # each polled mailbox is.
    "conversation": CONVERSATIONS,
    "delivery": DELIVERIES,
    "attachment": ATTACHMENTS,
    "mailbox_cursor": MAILBOX_CURSORS,
    "article": ARTICLES,  # its search index is not exported: import rebuilds it
    "event": EVENTS,
}

# Columns whose values must be one of the domain's words.
ENUM_COLUMNS: dict[str, type[StrEnum]] = {
    "role": Role,
    "shift": Shift,
    "tier": Tier,
    "goods_type": GoodsType,
    "status": Status,
    "priority": Priority,
    "channel": Channel,
    "category": Category,
    "department": Department,
    "state": EscalationState,
    "kind": EventKind,
}
ENUM_BY_TABLE_OVERRIDES: dict[tuple[str, str], type[StrEnum] | None] = {
    ("message", "kind"): MessageKind,
    ("message", "auto"): AutoKind,
    ("delivery", "kind"): DeliveryKind,
    ("delivery", "state"): DeliveryState,
    ("transfer", "state"): None,  # pending / approved / denied
    ("article", "kind"): ArticleKind,
    ("article", "lang"): ArticleLang,
}

# 0/1 flags, compared with literals (the search's `draft = 0`): any other number would
# leave an article out of every search, drafts or not.
FLAG_COLUMNS: dict[str, tuple[str, ...]] = {"article": ("draft",)}

EXPORT_BATCH = 5000


@cache
def record_model(table: Table) -> type[BaseModel]:
    """A pydantic model of one table's row, to check import lines with: a column that may be
    NULL or is a generated id may be left out, one with a default takes it, the rest are
    required."""
    fields: dict[str, Any] = {}
    for column in table.columns:
        kind = datetime if isinstance(column.type, UtcDateTime) else column.type.python_type
        if isinstance(column.type, LargeBinary):
            kind = str  # base64 in the file: `_check_binary` decodes it
        if column.nullable or (column.primary_key and column.name == "id"):
            fields[column.name] = (kind | None, None)
        elif column.default is not None:
            fields[column.name] = (kind, column.default.arg)  # type: ignore[attr-defined]
        else:
            fields[column.name] = (kind, ...)
    return create_model(f"{table.name}_record", **fields)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def export_records(engine: Engine) -> Iterator[dict[str, Any]]:
    """Every row of every table, parents first, in primary-key order."""
    for name, table in TABLES.items():
        keys = list(table.primary_key.columns)
        last: tuple[Any, ...] | None = None
        while True:
            query = select(table).order_by(*keys).limit(EXPORT_BATCH)
            if last is not None:
                query = query.where(_after(keys, last))
            with engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
            for row in rows:
                yield {"type": name, **{k: _plain(v) for k, v in row.items()}}
            if len(rows) < EXPORT_BATCH:
                break
            last = tuple(rows[-1][k.name] for k in keys)


def _after(keys: list[Any], last: tuple[Any, ...]) -> Any:
    return tuple_(*keys) > tuple_(*last)


def parse_line(number: int, line: str) -> tuple[int, dict[str, Any]]:
    """One JSON object per line; the error names the line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadInput(f"line {number}: not JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise BadInput(f"line {number}: expected a JSON object")
    return number, record


def validate(number: int, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Check one record against its table's model and the domain's vocabularies."""
    kind = record.get("type")
    if kind not in TABLES:
        raise BadInput(f"line {number}: type: expected one of {', '.join(TABLES)}, got {kind!r}")
    model = record_model(TABLES[kind])
    fields = {k: v for k, v in record.items() if k != "type"}
    unknown = set(fields) - set(model.model_fields)
    if unknown:
        raise BadInput(f"line {number}: {sorted(unknown)[0]}: unknown field for {kind}")
    try:
        row = model.model_validate(fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "record"
        raise BadInput(f"line {number}: {where}: {err['msg']}") from None
    values = row.model_dump()
    _check_binary(number, TABLES[kind], values)
    _check_storable(number, TABLES[kind], values)
    _check_vocabulary(number, kind, values)
    _check_flags(number, kind, values)
    _check_datetimes(number, values)
    if kind == "event":
        _check_payload(number, values)
    return kind, values


def _check_binary(number: int, table: Table, values: dict[str, Any]) -> None:
    """Bytes travel as base64 text: decoded here, strictly."""
    for column in table.columns:
        if isinstance(column.type, LargeBinary) and values.get(column.name) is not None:
            try:
                values[column.name] = base64.b64decode(values[column.name], validate=True)
            except (binascii.Error, ValueError):
                raise BadInput(f"line {number}: {column.name}: expected base64") from None


def _check_storable(number: int, table: Table, values: dict[str, Any]) -> None:
    """Text a database can encode, integers its columns can hold (see `domain.inputs`)."""
    for column, value in values.items():
        if isinstance(value, str):
            require_text(value, f"line {number}: {column}")
        elif isinstance(value, int) and isinstance(table.c[column].type, Integer):
            problem = int_problem(value)
            if problem is not None:
                raise BadInput(f"line {number}: {column}: {problem}")


def _check_vocabulary(number: int, kind: str, values: dict[str, Any]) -> None:
    for column, value in values.items():
        enum = ENUM_BY_TABLE_OVERRIDES.get((kind, column), ENUM_COLUMNS.get(column))
        if enum is None or value is None:
            continue
        if value not in enum._value2member_map_:
            allowed = ", ".join(m.value for m in enum)
            raise BadInput(f"line {number}: {column}: {value!r} is not one of {allowed}")


def _check_flags(number: int, kind: str, values: dict[str, Any]) -> None:
    for column in FLAG_COLUMNS.get(kind, ()):
        if values[column] not in (0, 1):
            raise BadInput(f"line {number}: {column}: expected 0 or 1, got {values[column]!r}")


def _check_payload(number: int, values: dict[str, Any]) -> None:
    """An event's old and new must fit its kind (`domain.events`): the quality figures are
    computed from them, and would stop at one that does not."""
    try:
        old, new = (None if v is None else json.loads(v) for v in (values["old"], values["new"]))
    except json.JSONDecodeError:
        raise BadInput(f"line {number}: old, new: expected JSON objects") from None
    try:
        events.decode(values["kind"], old, new)
    except events.MalformedEvent as exc:
        raise BadInput(f"line {number}: {exc}") from None


def _check_datetimes(number: int, values: dict[str, Any]) -> None:
    for column, value in values.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            values[column] = value.replace(tzinfo=UTC)
    for column in ("created_at", "at", "placed_at", "updated_at"):
        if column in values and values[column] is None and column != "updated_at":
            raise BadInput(f"line {number}: {column}: required")


def import_records(engine: Engine, records: Iterable[tuple[int, dict[str, Any]]]) -> dict[str, int]:
    """Validate every record, then insert all of them in one transaction."""
    batches: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    lines: dict[str, list[int]] = {name: [] for name in TABLES}
    for number, record in records:
        kind, values = validate(number, record)
        batches[kind].append(values)
        lines[kind].append(number)
    with engine.connect() as conn:
        conn = conn.execution_options(cstui_write=True)
        with conn.begin():
            for name, rows in batches.items():
                _insert(conn, name, rows, lines[name])
            index_imported(conn, batches["article"])
            ticket_index.index_tickets(conn, sorted(t["id"] for t in batches["ticket"]))
            if batches["event"]:
                figures.rebuild(conn)  # imported history, like any other, moves the figures
            _reset_sequences(conn)
    return {name: len(rows) for name, rows in batches.items() if rows}


def _insert(conn: Any, name: str, rows: list[dict[str, Any]], lines: list[int]) -> None:
    if not rows:
        return
    table = TABLES[name]
    try:
        conn.execute(insert(table), rows)
    except IntegrityError as exc:
        first = lines[0] if len(lines) == 1 else f"{lines[0]}–{lines[-1]}"
        detail = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise Conflict(f"line {first}: {name}: {detail}; nothing was imported") from None


def _reset_sequences(conn: Any) -> None:
    """PostgreSQL keeps id sequences apart from the rows: move them past imported ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in TABLES.values():
        if "id" not in table.c:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )
