"""`POST /intake/{channel}`: customers' messages from chat, app and social platforms.

No token: the platform signs each request with the channel's secret (`domain.signing`), and
the signature is checked on the raw bytes before anything reads them as JSON. A request that
is forged, unsigned, or sent outside the 5-minute window (a replay) gets 401 and writes
nothing. The platform's message id makes a retry harmless: the same message is stored once
and answered the same way (200 and its ticket).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from cstui import wire as W
from cstui.domain import signing
from cstui.domain.channels import Inbound, NewAttachment
from cstui.domain.model import Channel
from cstui.errors import NotFound
from cstui.server import schemas as S
from cstui.server.deps import state_of
from cstui.server.responses import JSONResponse
from cstui.server.uploads import decode_attachments

router = APIRouter(tags=["intake"])

IntakeChannel = Literal["chat", "app", "social"]
SUBJECT_CHARS = 80


def _body_schema() -> dict[str, object]:
    """IntakeIn's JSON schema, its files referring to the `AttachmentIn` the replies' body
    puts in the document's components (the body is read raw, so FastAPI does not add it)."""
    schema = S.IntakeIn.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


@router.post(
    "/intake/{channel}",
    response_model=W.IngestPublic,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _body_schema()}},
        },
        "parameters": [
            {
                "name": header,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": what,
            }
            for header, what in (
                (signing.TIMESTAMP_HEADER, "Unix seconds; within 5 minutes of the server's"),
                (signing.SIGNATURE_HEADER, "sha256=<hex HMAC-SHA256 of '<timestamp>.' + body>"),
            )
        ],
    },
)
async def intake(request: Request, channel: IntakeChannel) -> JSONResponse:
    """A customer's message, signed with the channel's secret; a retry is answered the same.

    The body is read raw (bounded by the upload limit) and its signature verified before it
    is parsed: an unsigned request never reaches the JSON parser or the store.
    """
    state = state_of(request)
    secret = state.options.intake_secrets.get(channel)
    if secret is None:
        raise NotFound(f"intake: no {channel} channel is configured")
    body = await request.body()
    store = state.store
    signing.verify(
        secret,
        request.headers.get(signing.TIMESTAMP_HEADER),
        request.headers.get(signing.SIGNATURE_HEADER),
        body,
        now=store.clock(),
    )
    # No rate limit here: a platform's peak (双十一) is every customer at once, and only
    # a holder of the channel's secret gets this far.
    try:
        message = S.IntakeIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(_in_body(exc)) from None
    files = decode_attachments(
        message.attachments, max_bytes=state.options.channels.attachment_max_bytes
    )
    inbound = to_inbound(Channel(channel), message, files, received_at=store.clock())
    outcome = await run_in_threadpool(store.ingest, inbound)
    return JSONResponse(W.IngestPublic.encode(outcome))


def to_inbound(
    channel: Channel,
    message: S.IntakeIn,
    files: Sequence[NewAttachment] = (),
    *,
    received_at: datetime,
) -> Inbound:
    """The message as the store threads it (by the platform's conversation id)."""
    return Inbound(
        channel=channel,
        external_id=message.message_id,
        sender_address=message.sender_id,
        sender_name=message.sender_name or message.sender_id,
        subject=message.subject or _subject_of(message.text),
        text=message.text,
        full_text=message.text,
        received_at=received_at,
        conversation_id=message.conversation_id,
        attachments=tuple(files),
    )


def _subject_of(text: str) -> str:
    """A chat message has no subject: its first line stands for one."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) > SUBJECT_CHARS:
        first = first[: SUBJECT_CHARS - 1] + "…"
    return first or "(attachment)"


def _in_body(exc: ValidationError) -> list[dict[str, object]]:
    """pydantic's errors, located in the body as FastAPI's own validation says it."""
    return [
        {**error, "loc": ("body", *error["loc"])}
        for error in exc.errors(include_url=False, include_context=False)
    ]
