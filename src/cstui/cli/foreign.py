"""`cstui import --from zendesk|csv`: another helpdesk's history into the store.

The export is read (`cstui.importing`), the store asked what it has already
(`cstui.store.external`), the new tickets planned as the store's own import records and
loaded through the same path as a JSON Lines import: one transaction, all or nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cstui.cli.progress import bar
from cstui.errors import BadInput
from cstui.importing import records as r
from cstui.importing.model import Export

if TYPE_CHECKING:
    from cstui.store.sql import SqlStore


def read_export(source: str, file: str, columns: tuple[str, ...]) -> Export:
    path = Path(file)
    if file == "-":
        raise BadInput("--from: an export is read from a file, not stdin")
    if source == "zendesk":
        if columns:
            raise BadInput("--column: only with --from csv")
        from cstui.importing import zendesk

        return zendesk.read(path)
    from cstui.importing import spreadsheet

    return spreadsheet.read(path, spreadsheet.mapping_of(columns))


def known_of(store: SqlStore, export: Export) -> r.Known:
    from cstui.store import external

    engine = store.engine
    keys = [t.key for t in export.tickets]
    people = [p for p in export.people.values() if not p.agent]
    emails = [p.email for p in people if p.email]
    return r.Known(
        tickets=external.known_tickets(engine, keys),
        customers=external.known_customers(engine, [p.key for p in people]),
        emails=external.customers_by_email(engine, emails),
        agents=external.agents_named(engine, r.agent_names(export)),
        next_ids=external.next_ids(engine),
    )


def summary(plan: r.Plan) -> dict[str, int]:
    """What the import adds (or would add): new rows per kind, and tickets already here."""
    names = {"ticket": "tickets", "customer": "customers", "agent": "agents"}
    names |= {"message": "messages", "event": "events", "skipped": "skipped"}
    return {names[k]: plan.counts.get(k, 0) for k in names}


def run(store: SqlStore, export: Export, *, dry_run: bool, show: bool) -> dict[str, Any]:
    plan = r.plan(export, known_of(store, export))
    counts = summary(plan)
    if dry_run or not plan.records:
        return counts
    total = len(plan.records)
    with bar("importing", enabled=show) as advance:
        advance(0, total)
        store.import_records(_counted(plan.records, advance, total))
        advance(total, total)
    return counts


def _counted(records: list[dict[str, Any]], advance: Any, total: int) -> Any:
    for number, record in r.numbered(records):
        if number % 2000 == 0:
            advance(number, total)
        yield number, record
