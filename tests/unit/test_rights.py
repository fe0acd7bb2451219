"""The rights table and its decisions, spelled out (the generated API test trusts them)."""

from __future__ import annotations

import pytest

from cstui.domain import rights
from cstui.domain.model import Role
from cstui.domain.rights import ROUTES, NamedTicket, Who, check, check_reveal
from cstui.errors import Conflict, CstuiError, PermissionDenied

AGENT, SUPERVISOR, ADMIN = Role.AGENT, Role.SUPERVISOR, Role.ADMIN


def outcome(right: rights.Right, actor: str, role: Role, owner: str | None) -> str:
    try:
        check(right, actor=actor, role=role, owner=owner)
    except CstuiError as exc:
        return type(exc).__name__
    return "ok"


@pytest.mark.parametrize(
    "path",
    [
        "/tickets/{ticket_id}/complaint",
        "/tickets/{ticket_id}/follow-up",
        "/tickets/{ticket_id}/follow-up/done",
        "/tickets/{ticket_id}/links",
        "/tickets/{ticket_id}/green",
        "/tickets/{ticket_id}/transfer",
    ],
)
def test_the_owners_work_is_the_owners_or_a_supervisors(path: str) -> None:
    right = ROUTES[("POST", path)]
    assert outcome(right, "alice", AGENT, "alice") == "ok"
    assert outcome(right, "bob", AGENT, "alice") == "PermissionDenied"
    assert outcome(right, "sue", SUPERVISOR, "alice") == "ok"
    assert outcome(right, "ops", ADMIN, "alice") == "ok"
    assert outcome(right, "bob", AGENT, None) == "Conflict"  # take it first
    assert outcome(right, "sue", SUPERVISOR, None) == "ok"


def test_the_message_names_the_owner_and_the_caller() -> None:
    with pytest.raises(PermissionDenied) as refused:
        check(rights.REGISTER_COMPLAINT, actor="bob", role=AGENT, owner="alice")
    assert str(refused.value) == (
        "register a complaint: only the ticket's owner (alice) or a supervisor may (you are bob)"
    )


def test_notes_replies_and_reads_are_open_to_colleagues_at_the_route() -> None:
    """A note by a colleague is allowed; a reply is the store's to refuse (409)."""
    for key in [("POST", "/tickets/{ticket_id}/messages"), ("GET", "/tickets/{ticket_id}")]:
        assert outcome(ROUTES[key], "bob", AGENT, "alice") == "ok"


@pytest.mark.parametrize(
    "key",
    [
        ("PATCH", "/tickets/{ticket_id}"),
        ("POST", "/tickets/{ticket_id}/escalations"),
        ("POST", "/tickets/{ticket_id}/resolve"),
    ],
)
def test_working_a_ticket_someone_else_owns_is_a_conflict_naming_them(
    key: tuple[str, str],
) -> None:
    right = ROUTES[key]
    with pytest.raises(Conflict) as refused:
        check(right, actor="bob", role=AGENT, owner="alice")
    assert refused.value.owner == "alice"
    assert outcome(right, "sue", SUPERVISOR, "alice") == "ok"
    assert outcome(right, "sue", SUPERVISOR, None) == "Conflict"  # nobody's: take it first


def test_admin_rights_are_for_admins_only_and_supervisor_rights_include_admins() -> None:
    admin_only = [r for r in ROUTES.values() if r.who is Who.ADMIN]
    assert rights.CREATE_TICKET in admin_only and rights.EXPORT in admin_only
    for right in admin_only:
        assert outcome(right, "sue", SUPERVISOR, None) == "PermissionDenied"
        assert outcome(right, "ops", ADMIN, None) == "ok"
    with pytest.raises(PermissionDenied, match="create a ticket: needs the admin role"):
        check(rights.CREATE_TICKET, actor="sue", role=SUPERVISOR)
    for right in (rights.STEAL, rights.DECIDE_TRANSFER, rights.PUBLISH_ARTICLE):
        assert outcome(right, "alice", AGENT, "alice") == "PermissionDenied"
        assert outcome(right, "ops", ADMIN, None) == "ok"


def test_an_article_is_edited_by_its_author_or_a_supervisor() -> None:
    right = ROUTES[("PATCH", "/kb/articles/{article_id}")]
    assert outcome(right, "alice", AGENT, "alice") == "ok"
    assert outcome(right, "bob", AGENT, "alice") == "PermissionDenied"
    assert outcome(right, "bob", AGENT, None) == "PermissionDenied"  # seeded: no author
    assert outcome(right, "sue", SUPERVISOR, None) == "ok"


def test_the_owner_is_read_only_when_the_decision_needs_it() -> None:
    assert rights.LINK.needs_owner(AGENT) and not rights.LINK.needs_owner(SUPERVISOR)
    assert rights.RESOLVE.needs_owner(SUPERVISOR)  # an unowned ticket is refused to everyone
    assert not rights.STEAL.needs_owner(AGENT) and not rights.READ.needs_owner(AGENT)


CUSTOMER, OTHER_CUSTOMER = 7, 8
HERS = NamedTicket(1, CUSTOMER, "alice")
HIS = NamedTicket(2, CUSTOMER, "bob")
ELSEWHERE = NamedTicket(3, OTHER_CUSTOMER, "alice")


@pytest.mark.parametrize(
    ("actor", "role", "ticket", "owns", "allowed"),
    [
        ("alice", AGENT, HERS, True, True),
        ("alice", AGENT, HIS, True, False),  # the customer's, but bob's ticket
        ("alice", AGENT, ELSEWHERE, True, False),  # her ticket, another customer
        ("alice", AGENT, None, True, True),  # owns a ticket of the customer
        ("alice", AGENT, None, False, False),
        ("sue", SUPERVISOR, None, False, True),
        ("sue", SUPERVISOR, HIS, False, True),
        ("sue", SUPERVISOR, ELSEWHERE, False, False),  # the reason must be the customer's
        ("ops", ADMIN, None, False, True),
    ],
)
def test_a_reveal_is_for_the_owner_of_the_customers_ticket_or_a_supervisor(
    actor: str, role: Role, ticket: NamedTicket | None, owns: bool, allowed: bool
) -> None:
    def reveal() -> None:
        check_reveal(
            actor=actor, role=role, customer_id=CUSTOMER, ticket=ticket, owns_a_ticket=owns
        )

    if allowed:
        reveal()
    else:
        with pytest.raises(PermissionDenied, match="reveal a customer's contact"):
            reveal()
