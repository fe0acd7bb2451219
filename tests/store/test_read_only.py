"""Opening a SQLite store this process may not write (see `store/engine.py`).

The directory is made read-only for real (`tests/mounts.py`: a read-only bind mount as
root, which root cannot bypass; checked to refuse a new file). Without a writer the store
is read as immutable; with a writer that has it open, the reader shares its -shm file and
sees each new commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cstui.domain.model import Category, Channel, MessageKind, Role, Shift
from cstui.errors import Unavailable
from cstui.store import SqlStore, init_store, open_store
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.engine import is_read_only
from tests.mounts import read_only_view


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A directory holding a small, closed store: agent alice and ticket 1."""
    folder = tmp_path / "store"
    folder.mkdir()
    made = init_store(str(folder / "cstui.db"))
    made.add_agent("alice", Role.AGENT, Shift.MORNING)
    customer = made.add_customer(NewCustomer("Ann", phone="13800001234"))
    made.create_ticket(
        NewTicket(customer.id, "where is my parcel", "hi", Channel.CHAT, Category.LOGISTICS)
    )
    made.close()
    return folder


@pytest.fixture
def reader(source: Path, tmp_path: Path) -> Iterator[SqlStore]:
    with read_only_view(source, tmp_path / "ro") as view:
        opened = open_store(str(view / "cstui.db"))
        yield opened
        opened.close()


def test_a_store_that_may_not_be_written_is_read(reader: SqlStore) -> None:
    assert is_read_only(reader.engine)
    ticket = reader.get_ticket(1)
    assert ticket.subject == "where is my parcel"
    reader.set_presence(actor="alice", ticket_id=1)  # keeps no presence, refuses nothing
    assert reader.viewers([1]) == {}


def test_a_write_fails_as_the_store_being_read_only(reader: SqlStore) -> None:
    with pytest.raises(Unavailable, match="readonly"):
        reader.add_message(1, actor="alice", kind=MessageKind.NOTE, text="checked")
    assert len(reader.messages(1)) == 1


def test_a_reader_sees_what_a_writer_commits_meanwhile(source: Path, tmp_path: Path) -> None:
    writer = open_store(str(source / "cstui.db"))
    writer.get_ticket(1)  # the writer has the store open: its -wal and -shm files exist
    try:
        with read_only_view(source, tmp_path / "ro") as view:
            reader = open_store(str(view / "cstui.db"))
            try:
                assert is_read_only(reader.engine)
                assert len(reader.messages(1)) == 1
                writer.add_message(1, actor="alice", kind=MessageKind.NOTE, text="later")
                assert [m.body for m in reader.messages(1)][-1] == "later"
            finally:
                reader.close()
    finally:
        writer.close()


def test_a_writable_store_is_not_read_only(source: Path) -> None:
    opened = open_store(str(source / "cstui.db"))
    try:
        assert not is_read_only(opened.engine)
    finally:
        opened.close()
