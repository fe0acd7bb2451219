"""Many clients at once, through two real `cstui serve` processes on one PostgreSQL database.

Taking is one conditional UPDATE in the store, so however the requests interleave — across
threads, connections and server processes — a ticket gets exactly one owner, every loser
is told who won, and the event log says the same as the tickets.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from cstui.domain.model import Category, Channel, EventKind, MessageKind, Role
from cstui.store import init_store
from cstui.store.base import NewCustomer, NewTicket
from cstui.store.sql import SqlStore
from tests.conftest import pg_database
from tests.serving import ServeProcess, read_events

pytestmark = pytest.mark.postgres

CLIENTS = 50
SERVER_ENV = {
    "CSTUI_SERVER__RATE_LIMIT_PER_SECOND": "0",
    "CSTUI_SERVER__EVENTS_POLL_SECONDS": "0.05",
}


@dataclass
class Team:
    store: SqlStore
    urls: tuple[str, str]
    tokens: dict[str, str]  # agent name → token

    def client(self, name: str, server: int) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.urls[server % 2]}/api/v1",
            headers={"Authorization": f"Bearer {self.tokens[name]}"},
            timeout=60,
            verify=False,  # plain http on loopback: no CA bundle to load per client
        )

    def tickets(self, n: int) -> list[int]:
        customer = self.store.add_customer(NewCustomer("李娜"))
        new = NewTicket(customer.id, "物流查询", "到哪了", Channel.CHAT, Category.LOGISTICS)
        return [self.store.create_ticket(new).id for _ in range(n)]


@pytest.fixture(scope="module")
def team() -> Iterator[Team]:
    with pg_database(f"cstui_test_serve_{os.getpid()}") as url:
        store = init_store(url)
        names = [f"agent{i:02d}" for i in range(CLIENTS)]
        for name in names:
            store.add_agent(name, Role.AGENT)
        tokens = {name: store.issue_token(name) for name in names}
        with ServeProcess(url, env=SERVER_ENV) as a, ServeProcess(url, env=SERVER_ENV) as b:
            yield Team(store, (a.url, b.url), tokens)
        store.close()


Result = tuple[str, int, int, dict[str, Any]]  # agent, ticket, status, body


def _all_at_once(team: Team, work: list[tuple[str, int, int]]) -> list[Result]:
    """Run (agent, server, ticket) takes from CLIENTS threads released together."""
    barrier = threading.Barrier(CLIENTS)
    by_agent: dict[str, list[tuple[int, int]]] = {}
    for name, server, ticket in work:
        by_agent.setdefault(name, []).append((server, ticket))

    def run(name: str) -> list[Result]:
        clients = [team.client(name, 0), team.client(name, 1)]
        barrier.wait()
        out = []
        for server, ticket in by_agent[name]:
            response = clients[server].post(f"/tickets/{ticket}/take")
            out.append((name, ticket, response.status_code, response.json()))
        for c in clients:
            c.close()
        return out

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [r for rs in pool.map(run, sorted(by_agent)) for r in rs]


def test_fifty_clients_take_one_ticket_one_wins(team: Team) -> None:
    (ticket,) = team.tickets(1)
    work = [(name, i % 2, ticket) for i, name in enumerate(sorted(team.tokens))]
    results = _all_at_once(team, work)
    codes = Counter(code for _, _, code, _ in results)
    assert codes == {200: 1, 409: CLIENTS - 1}
    (winner,) = [name for name, _, code, _ in results if code == 200]
    assert {body["owner"] for _, _, code, body in results if code == 409} == {winner}
    assert team.store.get_ticket(ticket).owner == winner
    taken = [e for e in team.store.events(ticket_id=ticket) if e.kind is EventKind.TAKEN]
    assert [e.actor for e in taken] == [winner]


def test_a_thousand_random_takes_leave_one_owner_each(team: Team) -> None:
    tickets = team.tickets(100)
    rng = random.Random(5)
    names = sorted(team.tokens)
    work = [(names[i % CLIENTS], rng.randrange(2), rng.choice(tickets)) for i in range(1000)]
    results = _all_at_once(team, work)
    winners = {ticket: name for name, ticket, code, _ in results if code == 200}
    assert sum(code == 200 for _, _, code, _ in results) == len(winners)  # one win per ticket
    assert all(code in (200, 409) for _, _, code, _ in results)
    # Every refusal names the one owner, even to the owner taking it again.
    assert all(body["owner"] == winners[t] for _, t, code, body in results if code == 409)
    touched = {ticket for _, _, ticket in work}
    for ticket in tickets:
        owner = team.store.get_ticket(ticket, with_messages=False).owner
        taken = [e for e in team.store.events(ticket_id=ticket) if e.kind is EventKind.TAKEN]
        assert owner == winners.get(ticket)
        assert [e.new["owner"] for e in taken if e.new] == ([owner] if owner else [])
        assert (owner is not None) == (ticket in touched)


def test_one_key_on_two_servers_sends_once(team: Team) -> None:
    name = "agent00"
    (ticket,) = team.tickets(1)
    with team.client(name, 0) as a:
        a.post(f"/tickets/{ticket}/take").raise_for_status()
    body = {"kind": "reply", "text": "已为您加急处理"}
    key = {"Idempotency-Key": f"send-{ticket}"}
    barrier = threading.Barrier(2)

    def send(server: int) -> httpx.Response:
        with team.client(name, server) as c:
            barrier.wait()
            return c.post(f"/tickets/{ticket}/messages", json=body, headers=key)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(send, (0, 1))
    assert sorted([first.status_code, second.status_code]) in ([201, 201], [201, 409])
    with team.client(name, 1) as b:
        retried = b.post(f"/tickets/{ticket}/messages", json=body, headers=key)
    sent = first if first.status_code == 201 else second
    assert retried.status_code == 201 and retried.json() == sent.json()
    replies = [m for m in team.store.messages(ticket) if m.kind is MessageKind.REPLY]
    assert len(replies) == 1


def test_events_written_through_one_server_reach_the_other(team: Team) -> None:
    (ticket,) = team.tickets(1)
    with team.client("agent01", 1) as b, b.stream("GET", "/events") as stream:
        with team.client("agent02", 0) as a:
            a.post(f"/tickets/{ticket}/take").raise_for_status()
        (event,) = read_events(stream, 1)
    assert event["event"] == "taken"
    data = event["data"]
    assert isinstance(data, dict) and (data["ticket_id"], data["actor"]) == (ticket, "agent02")


def test_what_postgresql_refuses_is_bad_input(team: Team) -> None:
    """A NUL in a query string reaches the database (bodies are checked before): a 422.
    (A NUL among the words is punctuation to the search; an agent's name goes as it is.)"""
    with team.client("agent03", 0) as a:
        response = a.get("/tickets/search", params={"q": "owner:bob\x00"})
    assert response.status_code == 422 and response.json()["kind"] == "bad_input", response.text
    assert response.json()["error"].startswith("refused by the store")
