"""The FastAPI app of `cstui serve`: the HTTP API of CONTRACT.md under `/api/v1`.

`create_app` takes an open store; the app never opens or migrates one itself. The store is
held in `app.state.cstui`, so tests can point a running server at a fresh store.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import Depends, FastAPI, Request

from cstui import __version__
from cstui import wire as W
from cstui.errors import Unavailable
from cstui.server import errors
from cstui.server import schemas as S
from cstui.server.admission import Admission
from cstui.server.commands import write_router
from cstui.server.deps import API_PREFIX, ServerOptions, ServerState, state_of
from cstui.server.prometheus import Metrics
from cstui.server.responses import JSONResponse
from cstui.server.rights import check_rights, check_tokenless
from cstui.server.routes_assist import router as assist_router
from cstui.server.routes_csat import router as csat_router
from cstui.server.routes_files import router as files_router
from cstui.server.routes_floor import router as floor_router
from cstui.server.routes_intake import router as intake_router
from cstui.server.routes_kb import router as kb_router
from cstui.server.routes_log import router as log_router
from cstui.server.routes_notes import router as notes_router
from cstui.server.routes_people import router as people_router
from cstui.server.routes_tickets import router as tickets_router
from cstui.server.uploads import UPLOAD_PATHS, upload_limit
from cstui.store.sql import SqlStore

# Every status an endpoint may answer besides its success, in the one error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": S.ErrorOut, "description": what}
    for status, what in {
        400: "bad request: a URL or body that is not UTF-8, a search query that does not parse",
        401: "no valid token (intake: no valid signature)",
        403: "the role does not allow it",
        404: "no such object",
        409: "conflict: already owned, refused by a rule, key in use",
        412: "stale: the ticket changed since the If-Match version (or a weak If-Match)",
        413: "the body is larger than the API takes",
        422: "bad input: the message names the field",
        428: "If-Match required",
        429: "rate-limited: see Retry-After",
        503: "the store is unreachable",
    }.items()
}


def create_app(store: SqlStore, options: ServerOptions | None = None) -> FastAPI:
    app = FastAPI(
        title="cstui",
        version=__version__,
        description="The team server of cstui: the helpdesk's store over HTTP.",
    )
    options = options or ServerOptions()
    app.add_middleware(
        Admission,
        upload_paths=UPLOAD_PATHS,
        upload_bytes=upload_limit(options.channels.attachment_max_bytes),
    )
    app.add_middleware(Metrics)  # the outermost: it times what the admission refuses too
    app.state.cstui = ServerState(store=store, options=options)
    errors.install(app)
    # Included into the app itself, not through one /api/v1 router: each level of routers
    # is matched again on every request (0.1 ms of a 1 ms request). Every route's rights are
    # checked by one dependency, from the one table (`cstui.domain.rights.ROUTES`).
    rights = [Depends(check_rights)]
    routers = (
        tickets_router,
        files_router,
        people_router,
        kb_router,
        assist_router,
        log_router,
        floor_router,
        notes_router,
    )
    for router in routers:
        app.include_router(
            router, prefix=API_PREFIX, responses=ERROR_RESPONSES, dependencies=rights
        )
    # The writes on tickets, derived from the table of commands: their one dependency (the
    # gate) checks the same rights, before it reads the Idempotency-Key and If-Match.
    app.include_router(write_router(), prefix=API_PREFIX, responses=ERROR_RESPONSES)
    # No token on these: a platform's signature, a customer's survey link (still in the table).
    tokenless = [Depends(check_tokenless)]
    intake_errors: dict[int | str, dict[str, Any]] = {
        s: ERROR_RESPONSES[s] for s in (400, 401, 404, 413, 422, 503)
    }
    app.include_router(
        intake_router, prefix=API_PREFIX, responses=intake_errors, dependencies=tokenless
    )
    app.include_router(csat_router, dependencies=tokenless)
    app.add_api_route(
        "/healthz", healthz, methods=["GET"], tags=["health"], response_model=W.HealthPublic
    )
    app.add_api_route(
        "/readyz",
        readyz,
        methods=["GET"],
        tags=["health"],
        response_model=W.HealthPublic,
        responses={503: ERROR_RESPONSES[503]},
        dependencies=tokenless,
    )
    return app


def healthz() -> JSONResponse:
    """Alive (no token needed); the store is checked by every real request."""
    return JSONResponse({"status": "ok", "version": __version__})


READY_SECONDS = 2.0  # a store slower than this to answer one read is not ready


async def readyz(request: Request) -> JSONResponse:
    """Ready: the store answered a read within `READY_SECONDS` (else 503, for the balancer)."""
    store = state_of(request).store
    try:
        with anyio.fail_after(READY_SECONDS):
            await anyio.to_thread.run_sync(store.last_event_id, abandon_on_cancel=True)
    except TimeoutError:
        raise Unavailable(f"the store did not answer within {READY_SECONDS:g} s") from None
    except Unavailable:
        raise
    except Exception as exc:  # a driver's error: its name only (its text may hold a URL)
        raise Unavailable(f"the store did not answer ({type(exc).__name__})") from None
    return JSONResponse({"status": "ready", "version": __version__})
