"""A ticket's attachments and deliveries: the list, each file's bytes, each delivery's state.

A file is always served as a download (`application/octet-stream`, `Content-Disposition:
attachment`, `nosniff`, a sandboxing CSP): whatever a customer sent, a browser never renders
it inline as our page. The type detected when it was stored, and its other facts, travel in
`X-Cstui-Attachment` (the JSON of `AttachmentPublic`, ASCII-escaped) for the HTTP store.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from cstui import wire as W
from cstui.domain.channels import DeliveryState
from cstui.server import schemas as S
from cstui.server.deps import AgentDep, StoreDep
from cstui.server.responses import JSONResponse

router = APIRouter(tags=["attachments"])

TicketId = Annotated[int, Path(ge=1, le=S.MAX_ID)]
AttachmentId = Annotated[int, Path(ge=1, le=S.MAX_ID)]
ATTACHMENT_HEADER = "X-Cstui-Attachment"


@router.get("/tickets/{ticket_id}/attachments", response_model=W.Items[W.AttachmentPublic])
def list_attachments(store: StoreDep, agent: AgentDep, ticket_id: TicketId) -> JSONResponse:
    """Every file that came or went with the ticket's messages, oldest first."""
    store.get_ticket(ticket_id, with_messages=False)  # 404 for an unknown ticket
    return JSONResponse(W.items(W.AttachmentPublic, store.attachments(ticket_id)))


@router.get("/tickets/{ticket_id}/deliveries", response_model=W.Items[W.DeliveryPublic])
def list_deliveries(
    store: StoreDep,
    agent: AgentDep,
    ticket_id: TicketId,
    state: DeliveryState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    """The ticket's replies, acknowledgements and surveys on their way out: queued, sent, or
    failed and why."""
    store.get_ticket(ticket_id, with_messages=False)
    found = store.deliveries(ticket_id=ticket_id, state=state, limit=limit)
    return JSONResponse(W.items(W.DeliveryPublic, found))


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "description": "the file's bytes, always as a download",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
def download(store: StoreDep, agent: AgentDep, attachment_id: AttachmentId) -> Response:
    """The file's bytes, as an attachment to save (never shown inline)."""
    attachment, data = store.attachment(attachment_id)
    facts = json.dumps(W.AttachmentPublic.encode(attachment), ensure_ascii=True)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            ATTACHMENT_HEADER: facts,
        },
    )


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback name, and the real one percent-encoded in UTF-8."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    encoded = quote(filename, safe="")
    return f"attachment; filename=\"{fallback or 'attachment'}\"; filename*=UTF-8''{encoded}"
