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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx
from pydantic import ValidationError

from cstui import commands as K
from cstui import errors as E
from cstui import wire as W
from cstui.domain import commands as C
from cstui.domain.automations import Notification
from cstui.domain.channels import Attachment, Delivery, DeliveryState, NewAttachment
from cstui.domain.commands import Command
from cstui.domain.figures import Quality
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
from cstui.remote.assist import RemoteAssist
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
LIVE_READ_SECONDS = 30.0
# Time allowed for files: a slow office line still sends 256 KB a second.
UPLOAD_BYTES_PER_SECOND = 256 * 1024
DOWNLOAD_SECONDS = 120.0
ATTACHMENT_HEADER = "X-Cstui-Attachment"  # the server's `routes_files.ATTACHMENT_HEADER`

M = TypeVar("M", bound=W.Wire)
R = TypeVar("R")

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


class HttpStore(RemoteAssist):
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
        self._live: httpx.Client | None = None  # the live feed's connection, once asked for
        self._closed = False

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

    def _get(self, path: str, **params: Any) -> bytes:
        query = {k: v for k, v in params.items() if v is not None}
        return self._send("GET", path, params=query).content

    def _post(self, path: str, body: Any = None, **kwargs: Any) -> bytes:
        return self._send("POST", path, json=body, **kwargs).content

    def _body(self, model: type[M], data: bytes | str) -> M:
        """The server's JSON answer read as `model` (`cstui.wire`), parsed and checked in one
        pass. Fields a newer server has added are ignored (the API only ever adds); an
        answer this client cannot read at all (another version, or not a cstui server) is
        `Unavailable`, in one line."""
        try:
            return model.model_validate_json(data, extra="ignore")
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            unreadable = f"an answer this client cannot read ({where}: {first['msg']})"
            raise E.Unavailable(f"server {self.url}: {unreadable}") from None

    def _ticket(self, data: bytes) -> Ticket:
        return self._body(W.TicketPublic, data).to_domain()

    @cached_property
    def me(self) -> Agent:
        """The agent the token acts as."""
        return self._body(W.AgentPublic, self._get("/me")).to_domain()

    def _as(self, actor: str | None) -> None:
        """Refuse to act as anyone but the token's agent: the server would anyway."""
        if actor is not None and actor != self.me.name:
            raise E.PermissionDenied(
                f"--as {actor}: this token acts as {self.me.name} (the token decides remotely)"
            )

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self._closed = True
        self.client.close()
        if self._live is not None:
            self._live.close()

    # -- agents -----------------------------------------------------------------------------

    def add_agent(
        self, name: str, role: Role, shift: Shift | None = None, display_name: str | None = None
    ) -> Agent:
        body = {"name": name, "role": role.value, "display_name": display_name}
        body["shift"] = shift.value if shift else None
        return self._body(W.AgentPublic, self._post("/agents", body)).to_domain()

    def get_agent(self, name: str) -> Agent:
        return self._body(W.AgentPublic, self._get(f"/agents/{_segment(name)}")).to_domain()

    def list_agents(self) -> list[Agent]:
        found = self._body(W.Items[W.AgentPublic], self._get("/agents"))
        return [a.to_domain() for a in found.items]

    def issue_token(self, name: str) -> str:
        return self._body(W.TokenPublic, self._post(f"/agents/{_segment(name)}/token")).token

    def agent_for_token(self, token: str) -> Agent | None:
        try:
            response = self._send("GET", "/me", headers={"Authorization": f"Bearer {token}"})
        except E.Unauthorized:
            return None
        return self._body(W.AgentPublic, response.content).to_domain()

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
        return self._body(W.CustomerPublic, self._post("/customers", body)).to_domain()

    def add_order(self, order: NewOrder) -> Order:
        body = {
            "number": order.number,
            "customer_id": order.customer_id,
            "amount": order.amount,
            "goods_type": order.goods_type.value,
            "tracking_no": order.tracking_no,
            "logistics_status": order.logistics_status,
        }
        made = self._body(W.Items[W.OrderPublic], self._post("/orders", body))
        return made.items[0].to_domain()

    def get_customer(self, customer_id: int) -> Customer:
        data = self._get(f"/customers/{int(customer_id)}")
        return self._body(W.CustomerPublic, data).to_domain()

    def customer_orders(self, customer_id: int) -> list[Order]:
        data = self._get(f"/customers/{int(customer_id)}/orders")
        return [o.to_domain() for o in self._body(W.Items[W.OrderPublic], data).items]

    def retier_customers(self) -> int:
        return self._body(W.CountPublic, self._post("/customers/retier")).count

    # -- tickets: reading -------------------------------------------------------------------

    def get_ticket(self, ticket_id: int, *, with_messages: bool = True) -> Ticket:
        return self._ticket(self._get(f"/tickets/{int(ticket_id)}", messages=with_messages))

    def ticket_owner(self, ticket_id: int) -> str | None:
        return self.get_ticket(ticket_id, with_messages=False).owner

    def list_tickets(
        self, view: View, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[Ticket]:
        if view is View.MINE:
            self._as(actor)
        data = self._get("/tickets", view=view.value, limit=limit, cursor=cursor)
        found = self._body(W.Page[W.TicketPublic], data)
        return Page(tuple(t.to_domain() for t in found.items), found.next_cursor)

    def search_tickets(
        self, query: str, *, actor: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page[TicketHit]:
        data = self._get("/tickets/search", q=query, limit=limit, cursor=cursor)
        found = self._body(W.Page[W.TicketHitPublic], data)
        return Page(tuple(h.to_domain() for h in found.items), found.next_cursor)

    def count_tickets(self, view: View, *, actor: str | None) -> int:
        if view is View.MINE:
            self._as(actor)
        return self._body(W.CountPublic, self._get("/tickets/count", view=view.value)).count

    def customer_tickets(self, customer_id: int, *, limit: int = 20) -> list[Ticket]:
        data = self._get(f"/customers/{int(customer_id)}/tickets", limit=limit)
        return [t.to_domain() for t in self._body(W.Items[W.TicketPublic], data).items]

    def messages(self, ticket_id: int) -> list[Message]:
        data = self._get(f"/tickets/{int(ticket_id)}/messages")
        return [m.to_domain() for m in self._body(W.Items[W.MessagePublic], data).items]

    def pending_transfers(self) -> list[TransferRequest]:
        found = self._body(W.Items[W.TransferPublic], self._get("/transfers"))
        return [r.to_domain() for r in found.items]

    # -- tickets: writing -------------------------------------------------------------------

    def execute(self, cmd: Command[R]) -> R:
        """Send one command to its route (`cstui.commands.WRITES`): its path and body from
        the command's fields, If-Match from `expected_version`, and the answer read back."""
        op = K.OPS[type(cmd)]
        given = K.values(cmd)
        self._as(given.get("actor"))
        headers: dict[str, str] = {}
        version = given.get("expected_version")
        if op.if_match is K.IfMatch.REQUIRED:
            headers["If-Match"] = "*" if version is None else f'"{version}"'
        elif op.if_match is K.IfMatch.OPTIONAL:
            headers.update(_if_match(version))
        if "idempotency_key" in given:
            # Such a write always carries a key, so a send retried by anyone never posts twice.
            headers["Idempotency-Key"] = given["idempotency_key"] or str(uuid.uuid4())
        body = K.body_of(op, cmd)
        # Files take longer than the usual answer: the timeout grows with their size.
        files = given.get("attachments") or ()
        timeout = (self.client.timeout.read or 10.0) + sum(
            len(f.data) for f in files
        ) / UPLOAD_BYTES_PER_SECOND
        response = self._send(
            op.method, K.path_of(op, cmd), json=body, headers=headers, timeout=timeout
        )
        if op.response is None:
            return cast(R, None)
        return cast(R, self._body(op.response, response.content).to_domain())

    # The protocol's named-argument writes: each builds its command.

    def create_ticket(self, ticket: NewTicket, *, actor: str | None = None) -> Ticket:
        new = {f.name: getattr(ticket, f.name) for f in fields(ticket)}
        return self.execute(C.CreateTicket(**new, actor=actor))

    def take(self, ticket_id: int, *, actor: str) -> Ticket:
        return self.execute(C.Take(ticket_id=ticket_id, actor=actor))

    def add_message(
        self,
        ticket_id: int,
        *,
        actor: str,
        kind: MessageKind,
        text: str,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> Message:
        self._as(actor)
        if kind is MessageKind.CUSTOMER:
            raise E.BadInput("kind: agents write replies or notes")
        return self.execute(
            C.AddMessage(
                ticket_id=ticket_id,
                actor=actor,
                kind=kind,
                text=text,
                expected_version=expected_version,
                idempotency_key=idempotency_key,
                attachments=tuple(attachments),
            )
        )

    # -- files and deliveries ----------------------------------------------------------------

    def attachments(self, ticket_id: int) -> list[Attachment]:
        data = self._get(f"/tickets/{int(ticket_id)}/attachments")
        return [a.to_domain() for a in self._body(W.Items[W.AttachmentPublic], data).items]

    def attachment(self, attachment_id: int) -> tuple[Attachment, bytes]:
        """The file's facts (from its `X-Cstui-Attachment` header) and its bytes."""
        timeout = max(self.client.timeout.read or 10.0, DOWNLOAD_SECONDS)
        response = self._send("GET", f"/attachments/{int(attachment_id)}", timeout=timeout)
        facts = response.headers.get(ATTACHMENT_HEADER)
        if facts is None:
            raise E.Unavailable(f"server {self.url}: an attachment without its facts")
        return self._body(W.AttachmentPublic, facts).to_domain(), response.content

    def deliveries(
        self,
        *,
        ticket_id: int | None = None,
        state: DeliveryState | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """A ticket's deliveries, or every ticket's (newest first); recipients masked."""
        path = "/deliveries" if ticket_id is None else f"/tickets/{int(ticket_id)}/deliveries"
        data = self._get(path, state=state.value if state else None, limit=limit)
        return [d.to_domain() for d in self._body(W.Items[W.DeliveryPublic], data).items]

    def customer_message(
        self, ticket_id: int, *, text: str, channel: Channel | None = None
    ) -> Message:
        return self.execute(C.CustomerMessage(ticket_id=ticket_id, text=text, channel=channel))

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
        return self.execute(
            C.Escalate(
                ticket_id=ticket_id,
                actor=actor,
                department=department,
                reason=reason,
                green=green,
                expected_version=expected_version,
            )
        )

    def update_escalation(
        self, escalation_id: int, *, actor: str, state: EscalationState, note: str | None = None
    ) -> Escalation:
        return self.execute(
            C.UpdateEscalation(escalation_id=escalation_id, actor=actor, state=state, note=note)
        )

    def transfer(
        self,
        ticket_id: int,
        *,
        actor: str,
        to: str,
        reason: str,
        expected_version: int | None = None,
    ) -> TransferOutcome:
        return self.execute(
            C.Transfer(
                ticket_id=ticket_id,
                actor=actor,
                to=to,
                reason=reason,
                expected_version=expected_version,
            )
        )

    def decide_transfer(
        self, request_id: int, *, actor: str, approve: bool, note: str | None = None
    ) -> TransferRequest:
        return self.execute(
            C.DecideTransfer(request_id=request_id, actor=actor, approve=approve, note=note)
        )

    def steal(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        return self.execute(C.Steal(ticket_id=ticket_id, actor=actor, reason=reason))

    def merge_tickets(self, ticket_id: int, *, into: int, actor: str) -> Ticket:
        return self.execute(C.Merge(ticket_id=ticket_id, actor=actor, into=into))

    def link_tickets(self, ticket_id: int, other_id: int, *, actor: str) -> Ticket:
        return self.execute(C.Link(ticket_id=ticket_id, actor=actor, other=other_id))

    def set_status(
        self, ticket_id: int, *, actor: str, status: Status, expected_version: int | None = None
    ) -> Ticket:
        return self.execute(
            C.SetStatus(
                ticket_id=ticket_id, actor=actor, status=status, expected_version=expected_version
            )
        )

    def set_priority(
        self,
        ticket_id: int,
        *,
        actor: str,
        priority: Priority,
        expected_version: int | None = None,
    ) -> Ticket:
        return self.execute(
            C.SetPriority(
                ticket_id=ticket_id,
                actor=actor,
                priority=priority,
                expected_version=expected_version,
            )
        )

    def set_green_channel(self, ticket_id: int, *, actor: str, reason: str) -> Ticket:
        return self.execute(C.GreenChannel(ticket_id=ticket_id, actor=actor, reason=reason))

    def register_complaint(self, ticket_id: int, *, actor: str, cause: ComplaintCause) -> Ticket:
        return self.execute(C.RegisterComplaint(ticket_id=ticket_id, actor=actor, cause=cause))

    def resolve(
        self,
        ticket_id: int,
        *,
        actor: str,
        code: ResolutionCode,
        override: bool = False,
        expected_version: int | None = None,
    ) -> Ticket:
        return self.execute(
            C.Resolve(
                ticket_id=ticket_id,
                actor=actor,
                code=code,
                override=override,
                expected_version=expected_version,
            )
        )

    def record_csat(self, ticket_id: int, *, score: int) -> None:
        if not 1 <= score <= 5:
            raise E.BadInput("score: CSAT is 1 to 5")
        self.execute(C.RecordCsat(ticket_id=ticket_id, score=score))

    def schedule_follow_up(self, ticket_id: int, *, actor: str, due: datetime) -> Ticket:
        return self.execute(C.ScheduleFollowUp(ticket_id=ticket_id, actor=actor, due=due))

    def complete_follow_up(self, ticket_id: int, *, actor: str, note: str) -> Ticket:
        return self.execute(C.CompleteFollowUp(ticket_id=ticket_id, actor=actor, note=note))

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
        return self._body(W.ArticlePublic, self._post("/kb/articles", data)).to_domain()

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
        return self._body(W.ArticlePublic, response.content).to_domain()

    def capture_article(self, ticket_id: int, *, actor: str) -> Article:
        self._as(actor)
        captured = self._post(f"/kb/capture/{int(ticket_id)}")
        return self._body(W.ArticlePublic, captured).to_domain()

    def publish_article(self, article_id: int, *, actor: str) -> Article:
        self._as(actor)
        published = self._post(f"/kb/articles/{int(article_id)}/publish")
        return self._body(W.ArticlePublic, published).to_domain()

    def get_article(self, article_id: int) -> Article:
        data = self._get(f"/kb/articles/{int(article_id)}")
        return self._body(W.ArticlePublic, data).to_domain()

    def find_template(self, name: str, *, lang: ArticleLang | None = None) -> Article:
        data = self._get(f"/kb/templates/{_segment(name)}", lang=lang.value if lang else None)
        return self._body(W.ArticlePublic, data).to_domain()

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
        return self._hits(data)

    def search_articles_unranked(
        self, query: str, *, limit: int = 20, include_drafts: bool = False
    ) -> list[SearchHit]:
        data = self._get("/kb/search", q=query, limit=limit, drafts=include_drafts, fast=True)
        return self._hits(data)

    def _hits(self, data: bytes) -> list[SearchHit]:
        return [h.to_domain() for h in self._body(W.Items[W.ArticleHitPublic], data).items]

    # -- presence and audited reveals -------------------------------------------------------

    def set_presence(self, *, actor: str, ticket_id: int | None) -> None:
        self._as(actor)
        self._send("PUT", "/presence", json={"ticket_id": ticket_id})

    def viewers(self, ticket_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
        ids = None if ticket_ids is None else [int(i) for i in ticket_ids]
        if ids == []:
            return {}
        query = ",".join(map(str, ids)) if ids else None
        found = self._body(W.Items[W.ViewingPublic], self._get("/presence", ids=query))
        return dict(v.to_domain() for v in found.items)

    def reveal_contact(
        self, customer_id: int, *, actor: str, ticket_id: int | None = None
    ) -> Customer:
        self._as(actor)
        params = {} if ticket_id is None else {"ticket_id": ticket_id}
        path = f"/customers/{int(customer_id)}/reveal"
        return self._body(W.CustomerRevealed, self._post(path, params=params)).to_domain()

    # -- the supervisor's monitor -----------------------------------------------------------

    def queue_depth(self) -> QueueDepth:
        return self._body(W.QueueDepthPublic, self._get("/floor/queues")).to_domain()

    def green_board(self, *, limit: int = 50) -> list[GreenTicket]:
        found = self._body(W.Items[W.GreenTicketPublic], self._get("/floor/green", limit=limit))
        return [g.to_domain() for g in found.items]

    def waiting_escalations(self, *, limit: int = 200) -> list[WaitingEscalation]:
        data = self._get("/floor/escalations", limit=limit)
        return [w.to_domain() for w in self._body(W.Items[W.WaitingEscalationPublic], data).items]

    def agent_loads(self) -> list[AgentLoad]:
        found = self._body(W.Items[W.AgentLoadPublic], self._get("/floor/agents"))
        return [a.to_domain() for a in found.items]

    def set_routing_paused(self, name: str, *, actor: str, paused: bool) -> Agent:
        self._as(actor)
        changed = self._post(f"/agents/{_segment(name)}/routing", {"paused": paused})
        return self._body(W.AgentPublic, changed).to_domain()

    def notifications(
        self, *, actor: str, unread_only: bool = False, limit: int = 50
    ) -> list[Notification]:
        self._as(actor)
        data = self._get("/notifications", unread="true" if unread_only else None, limit=limit)
        return [n.to_domain() for n in self._body(W.Items[W.NotificationPublic], data).items]

    def automations_fired(self, *, since: datetime) -> dict[str, int]:
        data = self._get("/floor/automations", since=since.isoformat())
        return dict(self._body(W.FiredPublic, data).rules)

    def mark_read(self, *, actor: str, ids: Iterable[int]) -> int:
        self._as(actor)
        return self._body(
            W.MarkedPublic, self._post("/notifications/read", {"ids": list(ids)})
        ).marked

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
            found = self._body(W.EventsPublic, data)
            yield from (e.to_domain() for e in found.items)
            if len(found.items) < EVENT_PAGE:
                return
            after = found.last_id

    def live_events(self) -> Iterator[Event | None]:
        """The server's live feed, on its own connection: a quiet stream sends a keep-alive
        every few seconds, so one silent for `LIVE_READ_SECONDS` has gone and is reopened."""
        from cstui.remote.feed import live_events

        self._live = httpx.Client(
            base_url=self.client.base_url,
            headers=self.client.headers,
            timeout=httpx.Timeout(10.0, read=LIVE_READ_SECONDS),
            verify=self.url.startswith("https://"),
        )
        return live_events(self._live, lambda: self._closed)

    def window_events(self, *, since: datetime, until: datetime) -> Iterator[Event]:
        """Every event of each ticket with an event in [since, until) (see SqlStore)."""
        params = {"since": since.isoformat(), "until": until.isoformat()}
        lines = self._lines("/events/window", params)
        return (self._body(W.EventPublic, e).to_domain() for e in lines)

    def quality(self, *, since: datetime | None, until: datetime | None) -> Quality:
        """The server's kept figures of [since, until), team and per agent."""
        when = {k: v.isoformat() for k, v in (("since", since), ("until", until)) if v}
        found = self._body(W.MetricsReportPublic, self._get("/metrics", by_agent=True, **when))
        agents = {k: v.to_domain() for k, v in (found.agents or {}).items()}
        return Quality(team=found.team.to_domain(), agents=agents)

    def export_records(self) -> Iterator[dict[str, Any]]:
        """The server's store as export records (admins), streamed line by line."""
        return (json.loads(line) for line in self._lines("/export", {}))

    def _lines(self, path: str, params: dict[str, Any]) -> Iterator[str]:
        """A JSON Lines answer, one line at a time as it arrives."""
        try:
            with self.client.stream("GET", path, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from(response)
                for line in response.iter_lines():
                    if line.strip():
                        yield line
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
