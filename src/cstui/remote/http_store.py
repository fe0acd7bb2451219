"""`HttpStore`: the `HelpdeskStore` protocol over a team server's HTTP API (httpx).

One store is one agent: the token decides who acts, so an `actor` other than the token's
agent is refused before anything is sent. Every HTTP error comes back as the
`cstui.errors` class the SQL store would have raised (the body's `kind` names it), so the
CLI's exit codes do not depend on the store; an unreachable server is `Unavailable`.
A 429 is waited out (Retry-After) a few times before it is reported.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx

from cstui import errors as E
from cstui.domain.model import (
    Agent,
    Article,
    ArticleKind,
    ArticleLang,
    Category,
    Channel,
    ComplaintCause,
    Customer,
    Department,
    Escalation,
    EscalationState,
    Event,
    Message,
    MessageKind,
    Order,
    Page,
    Priority,
    ResolutionCode,
    Role,
    SearchHit,
    Shift,
    Status,
    Ticket,
    TicketHit,
    TransferRequest,
)
from cstui.remote import decode as D
from cstui.remote import floor as F
from cstui.store.base import (
    AgentLoad,
    GreenTicket,
    HelpdeskStore,
    NewCustomer,
    NewOrder,
    NewTicket,
    QueueDepth,
    TransferOutcome,
    View,
    WaitingEscalation,
)

API = "/api/v1"
RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT = 5.0
EVENT_PAGE = 2000

ERRORS_BY_KIND: dict[str, type[E.CstuiError]] = {
    "bad_input": E.BadInput,
    "bad_query": E.BadQuery,
    "precondition_required": E.PreconditionRequired,
    "conflict": E.Conflict,
    "already_owned": E.AlreadyOwned,
    "stale_version": E.StaleVersion,
    "key_in_progress": E.Conflict,
    "not_found": E.NotFound,
    "permission_denied": E.PermissionDenied,
    "unauthorized": E.Unauthorized,
    "unavailable": E.Unavailable,
    "rate_limited": E.RateLimited,
}
ERRORS_BY_STATUS: dict[int, type[E.CstuiError]] = {
    400: E.BadInput,
    401: E.Unauthorized,
    403: E.PermissionDenied,
    404: E.NotFound,
    409: E.Conflict,
    412: E.StaleVersion,
    422: E.BadInput,
    428: E.PreconditionRequired,
    429: E.RateLimited,
}


def error_from(response: httpx.Response) -> E.CstuiError:
    """The `cstui.errors` exception an error response stands for."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = str(body.get("error") or f"server answered {response.status_code}")
    kind = ERRORS_BY_KIND.get(str(body.get("kind")))
    cls = kind or ERRORS_BY_STATUS.get(response.status_code)
    if cls is None:
        cls = E.Unavailable if response.status_code >= 500 else E.CstuiError
    if issubclass(cls, E.Conflict):
        return cls(message, owner=body.get("owner"))
    if issubclass(cls, E.RateLimited):
        return cls(message, retry_after=_retry_after(response))
    return cls(message)


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "1"))
    except ValueError:
        return 1.0


def _if_match(version: int | None) -> dict[str, str]:
    return {} if version is None else {"If-Match": f'"{version}"'}


class HttpStore:
    """A `HelpdeskStore` whose data lives behind `cstui serve` at `url`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise E.BadInput(f"--api: not an http(s) URL: {url!r}")
        self.url = url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.url + API,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
            # Loading the CA bundle costs ~25 ms per client, and the console opens one per
            # worker: only an https server needs it (redirects are not followed).
            verify=self.url.startswith("https://"),
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise E.Unavailable(f"server {self.url}: {exc or type(exc).__name__}") from None
            if response.status_code == 429 and attempt < RATE_LIMIT_RETRIES:
                time.sleep(min(_retry_after(response), MAX_RETRY_WAIT))
                continue
            if response.status_code >= 400:
                raise error_from(response)
            return response
        raise AssertionError("unreachable")

    def _get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        return self._send("GET", path, params=query).json()

    def _post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self._send("POST", path, json=body, **kwargs)
        return response.json() if response.content else None

    @cached_property
    def me(self) -> Agent:
        """The agent the token acts as."""
        return D.agent(self._get("/me"))

    def _as(self, actor: str | None) -> None:
        """Refuse to act as anyone but the token's agent: the server would anyway."""
        if actor is not None and actor != self.me.name:
            raise E.PermissionDenied(
                f"--as {actor}: this token acts as {self.me.name} (the token decides remotely)"
            )

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self.client.close()

    # -- agents -----------------------------------------------------------------------------

    def add_agent(
        self, name: str, role: Role, shift: Shift | None = None, display_name: str | None = None
    ) -> Agent:
        body = {"name": name, "role": role.value, "display_name": display_name}
        body["shift"] = shift.value if shift else None
        return D.agent(self._post("/agents", body))

    def get_agent(self, name: str) -> Agent:
        return D.agent(self._get(f"/agents/{_segment(name)}"))

    def list_agents(self) -> list[Agent]:
        return [D.agent(a) for a in self._get("/agents")["items"]]

    def issue_token(self, name: str) -> str:
        return str(self._post(f"/agents/{_segment(name)}/token")["token"])

    def agent_for_token(self, token: str) -> Agent | None:
        try:
            response = self._send("GET", "/me", headers={"Authorization": f"Bearer {token}"})
        except E.Unauthorized:
            return None
        return D.agent(response.json())

    # -- customers and orders ---------------------------------------------------------------

    def add_customer(self, customer: NewCustomer) -> Customer:
        if customer.created_at is not None:
            raise E.BadInput("created_at: set by the server")
        body = {
            "name": customer.name,
            "phone": customer.phone,
            "email": customer.email,
            "address": customer.address,
        }
        return D.customer(self._post("/customers", body))

    def add_order(self, order: NewOrder) -> Order:
        body = {
            "number": order.number,
            "customer_id": order.customer_id,
            "amount": order.amount,
            "goods_type": order.goods_type.value,
            "tracking_no": order.tracking_no,
            "logistics_status": order.logistics_status,
        }
        made = D.order(self._post("/orders", body)["items"][0], order.customer_id)
        assert made is not None
        return made

    def get_customer(self, customer_id: int) -> Customer:
        return D.customer(self._get(f"/customers/{int(customer_id)}"))

    def customer_orders(self, customer_id: int) -> list[Order]:
        items = self._get(f"/customers/{int(customer_id)}/orders")["items"]
        return [o for o in (D.order(d, customer_id) for d in items) if o is not None]

    def retier_customers(self) -> int:
        return int(self._post("/customers/retier")["count"])

    # -- tickets: reading -------------------------------------------------------------------

    def get_ticket(self, ticket_id: int, *, with_messages: bool = True) -> Ticket:
        data = self._get(f"/tickets/{int(ticket_id)}", messages=with_messages)
        return D.ticket(data)

    def ticket_owner(self, ticket_id: int) -> str | None:
        owner: str | None = self._get(f"/tickets/{int(ticket_id)}", messages=False)["owner"]
        return owner

    def list_tickets(
        self, view: View, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[Ticket]:
        if view is View.MINE:
            self._as(actor)
        data = self._get("/tickets", view=view.value, limit=limit, cursor=cursor)
        return Page(tuple(D.ticket(t) for t in data["items"]), data["next_cursor"])

    def search_tickets(
        self, query: str, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[TicketHit]:
        data = self._get("/tickets/search", q=query, limit=limit, cursor=cursor)
        return Page(tuple(D.ticket_hit(t) for t in data["items"]), data["next_cursor"])

    def count_tickets(self, view: View, *, actor: str | None) -> int:
        if view is View.MINE:
            self._as(actor)
        return int(self._get("/tickets/count", view=view.value)["count"])

    def customer_tickets(self, customer_id: int, *, limit: int = 20) -> list[Ticket]:
        items = self._get(f"/customers/{int(customer_id)}/tickets", limit=limit)["items"]
        return [D.ticket(t) for t in items]

    def messages(self, ticket_id: int) -> list[Message]:
        return [D.message(m) for m in self._get(f"/tickets/{int(ticket_id)}/messages")["items"]]

    def pending_transfers(self) -> list[TransferRequest]:
        return [D.transfer(r) for r in self._get("/transfers")["items"]]

    # -- tickets: writing -------------------------------------------------------------------

    def create_ticket(self, ticket: NewTicket, *, actor: str | None = None) -> Ticket:
        self._as(actor)
        body = {
            "customer_id": ticket.customer_id,
            "subject": ticket.subject,
            "body": ticket.body,
            "channel": ticket.channel.value,
            "category": ticket.category.value,
            "priority": ticket.priority.value,
            "order_number": ticket.order_number,
            "complaint_cause": ticket.complaint_cause.value if ticket.complaint_cause else None,
        }
        return D.ticket(self._post("/tickets", body))

    def take(self, ticket_id: int, *, actor: str) -> Ticket:
        self._as(actor)
        return D.ticket(self._post(f"/tickets/{int(ticket_id)}/take"))

    def add_message(
        self,
        ticket_id: int,
        *,
        actor: str,
        kind: MessageKind,
        text: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        self._as(actor)
        if kind is MessageKind.CUSTOMER:
            raise E.BadInput("kind: agents write replies or notes")
        # Every send carries a key, so a send retried by anyone never posts twice.
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        headers.update(_if_match(expected_version))
        body = {"kind": kind.value, "text": text}
        return D.message(self._post(f"/tickets/{int(ticket_id)}/messages", body, headers=headers))

    def customer_message(
        self, ticket_id: int, *, text: str, channel: Channel | None = None
    ) -> Message:
        body = {"text": text, "channel": channel.value if channel else None}
        return D.message(self._post(f"/tickets/{int(ticket_id)}/customer-messages", body))

    def escalate(
        self,
        ticket_id: int,
        *,
        actor: str,
        department: Department,
        reason: str,
        green: bool = False,
        expected_version: int | None = None,
    ) -> Escalation:
        self._as(actor)
        body = {"department": department.value, "reason": reason, "green": green}
        path = f"/tickets/{int(ticket_id)}/escalations"
        return D.escalation(self._post(path, body, headers=_if_match(expected_version)))

    def update_escalation(
        self, escalation_id: int, *, actor: str, state: EscalationState, note: str | None = None
    ) -> Escalation:
        self._as(actor)
        body = {"state": state.value, "note": note}
        return D.escalation(self._post(f"/escalations/{int(escalation_id)}/state", body))

    def transfer(
        self,
        ticket_id: int,
        *,
        actor: str,
        to: str,
        reason: str,
        expected_version: int | None = None,
    ) -> TransferOutcome:
        self._as(actor)
        path = f"/tickets/{int(ticket_id)}/transfer"
        data = self._post(path, {"to": to, "reason": reason}, headers=_if_match(expected_version))
        request = D.transfer(data["request"]) if data["request"] else None
        return TransferOutcome(ticket=D.ticket(data["ticket"]), request=request)

    def decide_transfer(
        self, request_id: int, *, actor: str, approve: bool, note: str | None = None
    ) -> TransferRequest:
        self._as(actor)
        body = {"approve": approve, "note": note}
        return D.transfer(self._post(f"/transfers/{int(request_id)}/decision", body))

    def steal(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        self._as(actor)
        return D.ticket(self._post(f"/tickets/{int(ticket_id)}/steal", {"reason": reason}))

    def merge_tickets(self, ticket_id: int, *, into: int, actor: str) -> Ticket:
        self._as(actor)
        return D.ticket(self._post(f"/tickets/{int(ticket_id)}/merge", {"into": into}))

    def link_tickets(self, ticket_id: int, other_id: int, *, actor: str) -> Ticket:
        self._as(actor)
        return D.ticket(self._post(f"/tickets/{int(ticket_id)}/links", {"other": other_id}))

    def _patch(self, ticket_id: int, body: dict[str, Any], version: int | None) -> Ticket:
        headers = {"If-Match": "*" if version is None else f'"{version}"'}
        response = self._send("PATCH", f"/tickets/{int(ticket_id)}", json=body, headers=headers)
        return D.ticket(response.json())

    def set_status(
        self, ticket_id: int, *, actor: str, status: Status, expected_version: int | None = None
    ) -> Ticket:
        self._as(actor)
        return self._patch(ticket_id, {"status": status.value}, expected_version)

    def set_priority(
        self,
        ticket_id: int,
        *,
        actor: str,
        priority: Priority,
        expected_version: int | None = None,
    ) -> Ticket:
        self._as(actor)
        return self._patch(ticket_id, {"priority": priority.value}, expected_version)

    def set_green_channel(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        self._as(actor)
        return D.ticket(self._post(f"/tickets/{int(ticket_id)}/green", {"reason": reason}))

    def register_complaint(self, ticket_id: int, *, actor: str, cause: ComplaintCause) -> Ticket:
        self._as(actor)
        path = f"/tickets/{int(ticket_id)}/complaint"
        return D.ticket(self._post(path, {"cause": cause.value}))

    def resolve(
        self,
        ticket_id: int,
        *,
        actor: str,
        code: ResolutionCode,
        override: bool = False,
        expected_version: int | None = None,
    ) -> Ticket:
        self._as(actor)
        body = {"code": code.value, "override": override}
        path = f"/tickets/{int(ticket_id)}/resolve"
        return D.ticket(self._post(path, body, headers=_if_match(expected_version)))

    def record_csat(self, ticket_id: int, *, score: int) -> None:
        if not 1 <= score <= 5:
            raise E.BadInput("score: CSAT is 1 to 5")
        self._post(f"/tickets/{int(ticket_id)}/csat", {"score": score})

    def schedule_follow_up(self, ticket_id: int, *, actor: str, due: datetime) -> Ticket:
        self._as(actor)
        path = f"/tickets/{int(ticket_id)}/follow-up"
        return D.ticket(self._post(path, {"due": due.isoformat()}))

    def complete_follow_up(self, ticket_id: int, *, actor: str, note: str) -> Ticket:
        self._as(actor)
        return D.ticket(self._post(f"/tickets/{int(ticket_id)}/follow-up/done", {"note": note}))

    # -- the knowledge base -----------------------------------------------------------------

    def add_article(
        self,
        *,
        title: str,
        body: str,
        kind: ArticleKind = ArticleKind.FAQ,
        lang: ArticleLang = ArticleLang.ZH,
        tags: Iterable[str] = (),
        category: Category | None = None,
        actor: str,
    ) -> Article:
        self._as(actor)
        data = {
            "title": title,
            "body": body,
            "kind": kind.value,
            "lang": lang.value,
            "tags": list(tags),
            "category": category.value if category else None,
        }
        return D.article(self._post("/kb/articles", data))

    def update_article(
        self,
        article_id: int,
        *,
        actor: str,
        title: str | None = None,
        body: str | None = None,
        tags: Iterable[str] | None = None,
        expected_version: int | None = None,
    ) -> Article:
        self._as(actor)
        data = {"title": title, "body": body, "tags": None if tags is None else list(tags)}
        path = f"/kb/articles/{int(article_id)}"
        response = self._send("PATCH", path, json=data, headers=_if_match(expected_version))
        return D.article(response.json())

    def capture_article(self, ticket_id: int, *, actor: str) -> Article:
        self._as(actor)
        return D.article(self._post(f"/kb/capture/{int(ticket_id)}"))

    def publish_article(self, article_id: int, *, actor: str) -> Article:
        self._as(actor)
        return D.article(self._post(f"/kb/articles/{int(article_id)}/publish"))

    def get_article(self, article_id: int) -> Article:
        return D.article(self._get(f"/kb/articles/{int(article_id)}"))

    def find_template(self, name: str, *, lang: ArticleLang | None = None) -> Article:
        data = self._get(f"/kb/templates/{_segment(name)}", lang=lang.value if lang else None)
        return D.article(data)

    def search_articles(
        self,
        query: str,
        *,
        limit: int = 20,
        kind: ArticleKind | None = None,
        lang: ArticleLang | None = None,
        include_drafts: bool = False,
    ) -> list[SearchHit]:
        data = self._get(
            "/kb/search",
            q=query,
            limit=limit,
            kind=kind.value if kind else None,
            lang=lang.value if lang else None,
            drafts=include_drafts,
        )
        return [D.hit(h) for h in data["items"]]

    def search_articles_unranked(
        self, query: str, *, limit: int = 20, include_drafts: bool = False
    ) -> list[SearchHit]:
        data = self._get("/kb/search", q=query, limit=limit, drafts=include_drafts, fast=True)
        return [D.hit(h) for h in data["items"]]

    # -- presence and audited reveals -------------------------------------------------------

    def set_presence(self, *, actor: str, ticket_id: int | None) -> None:
        self._as(actor)
        self._send("PUT", "/presence", json={"ticket_id": ticket_id})

    def viewers(self, ticket_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
        ids = None if ticket_ids is None else [int(i) for i in ticket_ids]
        if ids == []:
            return {}
        query = ",".join(map(str, ids)) if ids else None
        items = self._get("/presence", ids=query)["items"]
        return {d["ticket_id"]: tuple(d["agents"]) for d in items}

    def reveal_contact(
        self, customer_id: int, *, actor: str, ticket_id: int | None = None
    ) -> Customer:
        self._as(actor)
        params = {} if ticket_id is None else {"ticket_id": ticket_id}
        path = f"/customers/{int(customer_id)}/reveal"
        return D.customer(self._post(path, params=params))

    # -- the supervisor's monitor -----------------------------------------------------------

    def queue_depth(self) -> QueueDepth:
        return F.queue_depth(self._get("/floor/queues"))

    def green_board(self, *, limit: int = 50) -> list[GreenTicket]:
        return [F.green_ticket(d) for d in self._get("/floor/green", limit=limit)["items"]]

    def waiting_escalations(self, *, limit: int = 200) -> list[WaitingEscalation]:
        items = self._get("/floor/escalations", limit=limit)["items"]
        return [F.waiting_escalation(d) for d in items]

    def agent_loads(self) -> list[AgentLoad]:
        return [F.agent_load(d) for d in self._get("/floor/agents")["items"]]

    def set_routing_paused(self, name: str, *, actor: str, paused: bool) -> Agent:
        self._as(actor)
        return D.agent(self._post(f"/agents/{_segment(name)}/routing", {"paused": paused}))

    # -- the log, and moving data in and out ------------------------------------------------

    def events(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        ticket_id: int | None = None,
    ) -> Iterator[Event]:
        """The log in id order, a page at a time."""
        after = 0
        while True:
            data = self._get(
                "/events/log",
                after=after,
                limit=EVENT_PAGE,
                since=since.isoformat() if since else None,
                until=until.isoformat() if until else None,
                ticket_id=ticket_id,
            )
            yield from (D.event(e) for e in data["items"])
            if len(data["items"]) < EVENT_PAGE:
                return
            after = data["last_id"]

    def window_events(self, *, since: datetime, until: datetime) -> Iterator[Event]:
        """Every event of each ticket with an event in [since, until) (see SqlStore)."""
        params = {"since": since.isoformat(), "until": until.isoformat()}
        return (D.event(e) for e in self._lines("/events/window", params))

    def export_records(self) -> Iterator[dict[str, Any]]:
        """The server's store as export records (admins), streamed line by line."""
        return self._lines("/export", {})

    def _lines(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """A JSON Lines answer, one object at a time as it arrives."""
        try:
            with self.client.stream("GET", path, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from(response)
                for line in response.iter_lines():
                    if line.strip():
                        yield json.loads(line)
        except httpx.TransportError as exc:
            raise E.Unavailable(f"server {self.url}: {exc or type(exc).__name__}") from None

    def import_records(self, records: Iterable[tuple[int, dict[str, Any]]]) -> dict[str, int]:
        raise E.PermissionDenied("import: run it on the store itself (--db), not through --api")


def _segment(name: str) -> str:
    """A name as one URL path segment (a `/` in it must not make another path)."""
    from urllib.parse import quote

    return quote(name, safe="")


if TYPE_CHECKING:

    def _implements_the_protocol(store: HttpStore) -> HelpdeskStore:
        return store  # mypy checks here that HttpStore is a complete HelpdeskStore


__all__ = ["HttpStore", "error_from"]
