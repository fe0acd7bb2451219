"""What every endpoint depends on: the store, the calling agent (token, role, rate limit).

Dependencies are plain `def`s: FastAPI runs them, like the endpoints, in its threadpool,
so a blocking store call never holds up the event loop.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from cstui.channel_config import ChannelSettings
from cstui.domain.model import Agent
from cstui.errors import (
    BadInput,
    PreconditionRequired,
    StaleVersion,
    Unauthorized,
)
from cstui.server.ratelimit import RateLimiter
from cstui.server.watch import LogWatcher
from cstui.store.sql import SqlStore

API_PREFIX = "/api/v1"  # where the API's routers are included


@dataclass
class ServerOptions:
    """How the server behaves; `cstui serve` fills it from the `[server]` settings."""

    rate_per_second: float = 20.0
    rate_burst: int = 60
    events_poll_seconds: float = 0.5
    token_cache_seconds: float = 5.0
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    # Resolved once at start (`channel_options`): a missing secret stops `cstui serve`
    # with one line rather than failing every request later.
    intake_secrets: dict[str, bytes] = field(default_factory=dict)  # channel → HMAC key
    survey_secret: bytes | None = None  # signs the CSAT links; None: /csat is 404


def channel_options(channels: ChannelSettings) -> dict[str, Any]:
    """`ServerOptions`' channel fields from the `[channels]` settings, secrets read now
    (BadInput, one line, when one is missing or readable by others)."""
    intake = {
        name: s.secret.value(f"channels.intake.{name}.secret").encode()
        for name, s in channels.intake.items()
    }
    survey = channels.survey.secret
    secret = survey.value("channels.survey.secret").encode() if survey is not None else None
    return {"channels": channels, "intake_secrets": intake, "survey_secret": secret}


@dataclass
class ServerState:
    """What the app holds: the store (swappable, for tests) and the limiter."""

    store: SqlStore
    options: ServerOptions = field(default_factory=ServerOptions)
    limiter: RateLimiter = field(init=False)
    tokens: TokenCache = field(init=False)
    watcher: LogWatcher = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.options.rate_per_second, self.options.rate_burst)
        self.tokens = TokenCache(self.options.token_cache_seconds)
        # The store is looked up at every poll: tests point a running server at a new one.
        self.watcher = LogWatcher(
            lambda: self.store.last_event_id(), self.options.events_poll_seconds
        )


class TokenCache:
    """Token hash → agent for a few seconds: most requests then skip a store round trip.

    A new token (which replaces the agent's old one) or a role change is seen within
    `seconds`; 0 turns the cache off.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._agents: dict[str, tuple[Agent, float]] = {}

    def get(self, token_hash: str) -> Agent | None:
        hit = self._agents.get(token_hash)
        if hit is None or hit[1] < self.clock():
            return None
        return hit[0]

    def put(self, token_hash: str, agent: Agent) -> None:
        if self.seconds <= 0:
            return
        if len(self._agents) >= self.MAX_ENTRIES:
            self._agents.clear()
        self._agents[token_hash] = (agent, self.clock() + self.seconds)


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.cstui
    return state


async def get_store(request: Request) -> SqlStore:
    """Async only because it never blocks: FastAPI then skips a trip to the threadpool."""
    return state_of(request).store


StoreDep = Annotated[SqlStore, Depends(get_store)]


async def current_agent(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Agent:
    """The agent whose token is on the request: 401 without one, 429 when it floods.

    Only a token missing from the cache costs a store lookup, and that runs in the
    threadpool: the event loop never waits on the store.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("authorization: send `Authorization: Bearer TOKEN`")
    token = token.strip()
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    state = state_of(request)
    # Counted before the lookup: a flood of bad tokens is throttled without reaching the store.
    state.limiter.hit(token_hash)
    agent = state.tokens.get(token_hash)
    if agent is None:
        agent = await run_in_threadpool(state.store.agent_for_token, token)
        if agent is None:
            raise Unauthorized("authorization: unknown or revoked token")
        state.tokens.put(token_hash, agent)
    return agent


AgentDep = Annotated[Agent, Depends(current_agent)]


# No length limit: a long list is still well-formed (h11 bounds every header anyway).
IfMatch = Annotated[str | None, Header(alias="If-Match")]

# RFC 9110 §8.8.3: one entity tag of a list, `"3"` or `W/"3"`, and the comma after it.
LIST_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|\Z)')
MAX_BIGINT = 2**63 - 1


def expected_version(if_match: str | None) -> int | None:
    """The version named by If-Match (None for `*`): 428 without the header.

    The comparison is strong (RFC 9110 §13.1.1): a weak tag never matches, nor does a
    malformed header, so both get 412, as a version that is not the current one does.
    """
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("If-Match: send the ticket's ETag (its version)")
    value = if_match.strip()
    if value == "*":
        return None
    versions = {
        version
        for weak, tag in entity_tags(value) or []
        if not weak and (version := decimal_id(tag)) is not None
    }
    if len(versions) > 1:
        raise BadInput("If-Match: name one version")
    if not versions:
        raise StaleVersion(
            f'If-Match: {value!r} matches no version (send the ETag from GET, e.g. "3")'
        )
    return versions.pop()


def entity_tags(value: str) -> list[tuple[bool, str]] | None:
    """The (weak, opaque tag) of each entity tag in a list, or None if it is not one."""
    tags: list[tuple[bool, str]] = []
    at = 0
    while at < len(value):
        found = LIST_TAG.match(value, at)
        if found is None:
            return None
        tags.append((bool(found[1]), found[2]))
        at = found.end()
    return tags


def decimal_id(text: str) -> int | None:
    """`text` as a number if it is one written plainly (ASCII digits, no leading zero, at
    most a 64-bit integer), else None: `int()` would also take `" 7"`, `"0_7"` or `"٧"`."""
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", text):
        return None
    number = int(text)
    return number if number <= MAX_BIGINT else None


def etag(version: int) -> str:
    return f'"{version}"'


def fingerprint(method: str, path: str, body: BaseModel | dict[str, Any] | None) -> str:
    """What a request asks, so one key reused for another request is caught."""
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    text = json.dumps([method, path, data], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
