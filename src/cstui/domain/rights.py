"""Who may do what: every operation's rule, every API route's operation, and the one decision.

`ROUTES` names the right of every route of the team server (method and path template, as
the route declares it, under `/api/v1` unless public); the server refuses a route missing
from it. Each right says who may (`Who`) and what it is (`doing`, for the message). The
store asks the same rights when it runs an operation for the CLI or the console on a local
store, so the rules hold whichever way a change arrives.

Ownership is the ticket's (first-contact ownership) or, for an article, its author's.
Colleagues read every ticket and may add internal notes to it; replies and the rest of the
ticket's work stay with its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cstui.domain.model import SUPERVISING_ROLES, Role
from cstui.domain.ownership import check_may_work
from cstui.errors import Conflict, PermissionDenied


class Who(StrEnum):
    """Who may use a right (supervisors include admins, admins only what says so)."""

    PUBLIC = "anyone, without a token"
    # No token: the request's HMAC signature under the channel's secret is its credential
    # (401 when it is missing, wrong or stale).
    SIGNED = "a channel, by its request's signature"
    ANY_AGENT = "any agent"
    # First-contact ownership of the work itself: anyone else is told who owns the ticket
    # (409 with `owner`, like a lost take), an unowned ticket is taken first (409).
    WORKING_OWNER = "the ticket's owner or a supervisor (409 otherwise)"
    OWNER_OR_SUPERVISOR = "the ticket's owner or a supervisor"
    AUTHOR_OR_SUPERVISOR = "the article's author or a supervisor"
    # Needs the customer's tickets, and a refusal is logged with the decision: the store
    # decides it in the reveal's own transaction (`check_reveal`).
    CUSTOMER_OWNER_OR_SUPERVISOR = "the owner of the customer's ticket, or a supervisor"
    SUPERVISOR = "a supervisor or an admin"
    ADMIN = "an admin"


@dataclass(frozen=True, slots=True)
class Right:
    who: Who
    doing: str  # "register a complaint": what a refusal names

    def needs_owner(self, role: Role) -> bool:
        """Whether deciding for `role` needs the ticket's owner (or the article's author)."""
        if self.who is Who.WORKING_OWNER:
            return True
        owned = (Who.OWNER_OR_SUPERVISOR, Who.AUTHOR_OR_SUPERVISOR)
        return self.who in owned and role not in SUPERVISING_ROLES


# -- the operations ------------------------------------------------------------------------

PUBLIC = Right(Who.PUBLIC, "read what is public")
# The survey's link is its own credential (signed, expiring, single-use): no login.
ANSWER_SURVEY = Right(Who.PUBLIC, "answer a satisfaction survey")
INTAKE = Right(Who.SIGNED, "post a customer's message from a channel")
READ = Right(Who.ANY_AGENT, "read")
# Like reading the ticket it came with; named apart so the rule can tighten on its own.
DOWNLOAD_ATTACHMENT = Right(Who.ANY_AGENT, "download an attachment")
TAKE = Right(Who.ANY_AGENT, "take a ticket")
# A reply is for the owner (or a supervisor), a note for any colleague: one route for both,
# so the store tells them apart (409 for someone else's reply, like the other work).
WRITE_MESSAGE = Right(Who.ANY_AGENT, "write a reply or an internal note")
UPDATE_ESCALATION = Right(Who.ANY_AGENT, "update an escalation")  # the departments do
# Either ticket's owner, or a supervisor, or anyone while both are unowned (the store, 409).
MERGE = Right(Who.ANY_AGENT, "merge tickets")
SET_PRESENCE = Right(Who.ANY_AGENT, "say which ticket is open")
MARK_READ = Right(Who.ANY_AGENT, "mark notifications read")  # one's own only (the store)
ADD_ARTICLE = Right(Who.ANY_AGENT, "add an article")
CAPTURE_ARTICLE = Right(Who.ANY_AGENT, "capture a ticket as an article")

CHANGE_TICKET = Right(Who.WORKING_OWNER, "change the status or priority")
ESCALATE = Right(Who.WORKING_OWNER, "escalate a ticket")
RESOLVE = Right(Who.WORKING_OWNER, "resolve a ticket")

TRANSFER = Right(Who.OWNER_OR_SUPERVISOR, "transfer a ticket")
REGISTER_COMPLAINT = Right(Who.OWNER_OR_SUPERVISOR, "register a complaint")
SCHEDULE_FOLLOW_UP = Right(Who.OWNER_OR_SUPERVISOR, "schedule a follow-up")
COMPLETE_FOLLOW_UP = Right(Who.OWNER_OR_SUPERVISOR, "complete a follow-up")
LINK = Right(Who.OWNER_OR_SUPERVISOR, "link tickets")
GREEN_CHANNEL = Right(Who.OWNER_OR_SUPERVISOR, "put a ticket on the green channel")

EDIT_ARTICLE = Right(Who.AUTHOR_OR_SUPERVISOR, "edit an article")

REVEAL_CONTACT = Right(Who.CUSTOMER_OWNER_OR_SUPERVISOR, "reveal a customer's contact")

DECIDE_TRANSFER = Right(Who.SUPERVISOR, "approve or deny a transfer")
STEAL = Right(Who.SUPERVISOR, "take a ticket from its owner")
PUBLISH_ARTICLE = Right(Who.SUPERVISOR, "publish an article")
PAUSE_ROUTING = Right(Who.SUPERVISOR, "pause an agent's routing")

# What channel integrations and administrators do.
CREATE_TICKET = Right(Who.ADMIN, "create a ticket")
POST_AS_CUSTOMER = Right(Who.ADMIN, "post as the customer")
RECORD_CSAT = Right(Who.ADMIN, "record a survey answer")
ADD_AGENT = Right(Who.ADMIN, "add an agent")
ISSUE_TOKEN = Right(Who.ADMIN, "issue a token")
ADD_CUSTOMER = Right(Who.ADMIN, "add a customer")
RETIER = Right(Who.ADMIN, "re-rank customers")
ADD_ORDER = Right(Who.ADMIN, "add an order")
EXPORT = Right(Who.ADMIN, "export the store")


# -- every route of the team server ----------------------------------------------------------

Route = tuple[str, str]  # (method, path template as the route declares it)

ROUTES: dict[Route, Right] = {
    # outside /api/v1: health and the API's own description
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # the customer's survey page (outside /api/v1: its link goes in a mail)
    ("GET", "/csat/{token}"): ANSWER_SURVEY,
    ("POST", "/csat/{token}"): ANSWER_SURVEY,
    # chat, app and social platforms
    ("POST", "/intake/{channel}"): INTAKE,
    # tickets
    ("GET", "/tickets"): READ,
    ("GET", "/tickets/count"): READ,
    ("GET", "/tickets/search"): READ,
    ("GET", "/tickets/{ticket_id}"): READ,
    ("GET", "/tickets/{ticket_id}/messages"): READ,
    ("GET", "/tickets/{ticket_id}/attachments"): READ,
    ("GET", "/tickets/{ticket_id}/deliveries"): READ,
    ("GET", "/deliveries"): READ,  # recipients masked
    ("GET", "/attachments/{attachment_id}"): DOWNLOAD_ATTACHMENT,
    ("POST", "/tickets"): CREATE_TICKET,
    ("PATCH", "/tickets/{ticket_id}"): CHANGE_TICKET,
    ("POST", "/tickets/{ticket_id}/take"): TAKE,
    ("POST", "/tickets/{ticket_id}/messages"): WRITE_MESSAGE,
    ("POST", "/tickets/{ticket_id}/customer-messages"): POST_AS_CUSTOMER,
    ("POST", "/tickets/{ticket_id}/escalations"): ESCALATE,
    ("POST", "/escalations/{escalation_id}/state"): UPDATE_ESCALATION,
    ("POST", "/tickets/{ticket_id}/transfer"): TRANSFER,
    ("GET", "/transfers"): READ,
    ("POST", "/transfers/{request_id}/decision"): DECIDE_TRANSFER,
    ("POST", "/tickets/{ticket_id}/steal"): STEAL,
    ("POST", "/tickets/{ticket_id}/merge"): MERGE,
    ("POST", "/tickets/{ticket_id}/links"): LINK,
    ("POST", "/tickets/{ticket_id}/resolve"): RESOLVE,
    ("POST", "/tickets/{ticket_id}/green"): GREEN_CHANNEL,
    ("POST", "/tickets/{ticket_id}/complaint"): REGISTER_COMPLAINT,
    ("POST", "/tickets/{ticket_id}/csat"): RECORD_CSAT,
    ("POST", "/tickets/{ticket_id}/follow-up"): SCHEDULE_FOLLOW_UP,
    ("POST", "/tickets/{ticket_id}/follow-up/done"): COMPLETE_FOLLOW_UP,
    # agents, customers, orders, presence
    ("GET", "/me"): READ,
    ("GET", "/agents"): READ,
    ("GET", "/agents/{name}"): READ,
    ("POST", "/agents"): ADD_AGENT,
    ("POST", "/agents/{name}/token"): ISSUE_TOKEN,
    ("POST", "/agents/{name}/routing"): PAUSE_ROUTING,
    ("POST", "/customers"): ADD_CUSTOMER,
    ("POST", "/customers/retier"): RETIER,
    ("GET", "/customers/{customer_id}"): READ,  # contact details masked
    ("POST", "/customers/{customer_id}/reveal"): REVEAL_CONTACT,
    ("GET", "/customers/{customer_id}/orders"): READ,
    ("GET", "/customers/{customer_id}/tickets"): READ,
    ("POST", "/orders"): ADD_ORDER,
    ("PUT", "/presence"): SET_PRESENCE,
    ("GET", "/presence"): READ,
    # the knowledge base
    ("GET", "/kb/search"): READ,
    ("POST", "/kb/articles"): ADD_ARTICLE,
    ("GET", "/kb/articles/{article_id}"): READ,
    ("PATCH", "/kb/articles/{article_id}"): EDIT_ARTICLE,
    ("POST", "/kb/articles/{article_id}/publish"): PUBLISH_ARTICLE,
    ("POST", "/kb/capture/{ticket_id}"): CAPTURE_ARTICLE,
    ("GET", "/kb/templates/{name}"): READ,
    ("GET", "/tickets/{ticket_id}/suggestions"): READ,
    ("GET", "/suggestions"): READ,
    # the event log, the team's figures, the floor
    ("GET", "/events"): READ,
    ("GET", "/events/log"): READ,
    ("GET", "/events/window"): READ,
    ("GET", "/metrics"): READ,
    ("GET", "/export"): EXPORT,
    ("GET", "/floor/queues"): READ,
    ("GET", "/floor/green"): READ,
    ("GET", "/floor/escalations"): READ,
    ("GET", "/floor/agents"): READ,
    ("GET", "/floor/automations"): READ,
    # each agent's own notifications (the automations')
    ("GET", "/notifications"): READ,
    ("POST", "/notifications/read"): MARK_READ,
}


# -- the decisions ----------------------------------------------------------------------------


def check(right: Right, *, actor: str, role: Role, owner: str | None = None) -> None:
    """Raise unless `actor` (of `role`) may use `right`; `owner` is the ticket's owner (or
    the article's author) where the right depends on it (`Right.needs_owner`).

    The customer's contact is decided by `check_reveal`, which needs the customer's tickets.
    """
    who, doing = right.who, right.doing
    supervising = role in SUPERVISING_ROLES
    if who in (Who.PUBLIC, Who.SIGNED, Who.ANY_AGENT, Who.CUSTOMER_OWNER_OR_SUPERVISOR):
        return
    if who is Who.ADMIN and role is not Role.ADMIN:
        raise PermissionDenied(f"{doing}: needs the admin role (you are {role.value})")
    if who is Who.SUPERVISOR and not supervising:
        raise PermissionDenied(
            f"{doing}: needs the supervisor or admin role (you are {role.value})"
        )
    if who is Who.WORKING_OWNER:
        check_may_work(owner=owner, actor=actor, actor_role=role)
    if who is Who.OWNER_OR_SUPERVISOR and not supervising and owner != actor:
        if owner is None:
            raise Conflict(f"{doing}: nobody owns the ticket; take it first")
        raise PermissionDenied(
            f"{doing}: only the ticket's owner ({owner}) or a supervisor may (you are {actor})"
        )
    if who is Who.AUTHOR_OR_SUPERVISOR and not supervising and owner != actor:
        author = f"its author ({owner})" if owner else "its author"
        raise PermissionDenied(f"{doing}: only {author} or a supervisor may (you are {actor})")


@dataclass(frozen=True, slots=True)
class NamedTicket:
    """The ticket a reveal names as its reason."""

    id: int
    customer_id: int
    owner: str | None


def check_reveal(
    *,
    actor: str,
    role: Role,
    customer_id: int,
    ticket: NamedTicket | None,
    owns_a_ticket: bool,
) -> None:
    """A customer's whole contact is for the owner of their ticket, or a supervisor.

    The ticket named as the reason must be the customer's (for everyone: it is what the
    audit records). Without one, an agent must own some ticket of that customer.
    """
    doing = REVEAL_CONTACT.doing
    if ticket is not None and ticket.customer_id != customer_id:
        raise PermissionDenied(
            f"{doing}: ticket {ticket.id} is not customer {customer_id}'s (you are {actor})"
        )
    if role in SUPERVISING_ROLES:
        return
    if ticket is not None and ticket.owner != actor:
        raise PermissionDenied(
            f"{doing}: only the owner of ticket {ticket.id} or a supervisor may (you are {actor})"
        )
    if ticket is None and not owns_a_ticket:
        raise PermissionDenied(
            f"{doing}: you own no ticket of customer {customer_id} (you are {actor})"
        )
