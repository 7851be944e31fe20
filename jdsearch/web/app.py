"""The HTTP API and the pages: FastAPI on uvicorn, assets served from inside the package.

Contract: JSON bodies are the CLI's ``--json`` objects, built by :mod:`jdsearch.serialize`.
Errors are ``{"error": "one line"}`` with 400 (bad parameter, broken query syntax), 404 (unknown
id or path) or 503 (no index in the directory, or duplicate groups/themes not computed); an
unexpected failure is a 500 whose body says
only "internal server error" (the traceback goes to the server log, never to the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import errno
import ipaddress
import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jdsearch.serialize import (
    clause_detail_json,
    error_json,
    groups_page_json,
    health_json,
    search_json,
    theme_map_json,
    theme_page_json,
)
from jdsearch.store import JdsearchError
from jdsearch.taxonomy import EXPORT_FORMATS
from jdsearch.taxonomy import export as export_taxonomy
from jdsearch.web.assets import PLOTLY, Assets
from jdsearch.web.state import IndexState, IndexUnavailable

log = logging.getLogger("jdsearch.web")

MAX_QUERY = 500
MAX_PAGE = 100
MAX_OFFSET = 10_000
RELATIONS = ("exact", "near", "cross-script", "variant", "cross-lingual")
PAGES = {
    "/": "search.html",
    "/dupes": "dupes.html",
    "/themes": "themes.html",
    "/downloads": "downloads.html",
    "/docs": "docs.html",
}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class ErrorBody(BaseModel):
    """Every error response: one line saying what was wrong."""

    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad parameter or query syntax"},
    503: {
        "model": ErrorBody,
        "description": "No index in the served directory, or its groups/themes not computed",
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"model": ErrorBody, "description": "Unknown id"},
}


# --------------------------------------------------------------------------- the app
def create_app(
    index_dir: str | Path,
    *,
    cors_origins: Sequence[str] | None = None,
    allowed_hosts: Sequence[str] | None = None,
    search_cache: int = 1024,
    search_threads: int | None = None,
    write_token: str | None = None,
) -> FastAPI:
    """The ASGI app for one index directory.

    ``cors_origins``: origins allowed to call the API from other sites (none by default: the
    pages are same-origin). ``allowed_hosts``: Host headers accepted (``serve`` passes the
    loopback names when bound to loopback, which defeats DNS-rebinding attacks).
    ``search_cache``: search answers kept until the index changes (0: none).
    ``search_threads``: threads that run searches, each with its own engine (Whoosh scores in
    pure Python under the GIL, so more threads than cores add memory, not throughput).
    """
    app = FastAPI(
        title="jdsearch",
        version=_version(),
        description="Search, near-duplicates and duty taxonomy of a job-description corpus.",
        docs_url=None,  # /docs is our own page: Swagger UI would load its code from a CDN
        redoc_url=None,
        lifespan=_lifespan,
    )
    threads = search_threads or max(2, min(4, os.cpu_count() or 1))
    app.state.index = IndexState(index_dir, search_cache=search_cache)
    app.state.assets = Assets()
    app.state.search_threads = threads
    app.state.search_pool = _search_pool(threads)
    app.state.url = None  # set by serve(), for the "ready" line
    app.state.write_token = write_token  # required by write endpoints when set
    _add_error_handlers(app)
    _add_api_routes(app)
    _add_page_routes(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"])
    if allowed_hosts:
        app.add_middleware(TrustedHosts, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecurityHeaders)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Warm up before the first connection is answered (uvicorn accepts after this), and close
    every search engine at shutdown."""
    st: IndexState = app.state.index
    app.state.search_pool.shutdown(wait=False)  # a fresh pool: an app may be started again
    pool = app.state.search_pool = _search_pool(app.state.search_threads)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(pool, _prepare, st, pool, app.state.search_threads)
        if app.state.url:
            log.info("jdsearch ready: %s (index %s)", app.state.url, st.index_dir)
        yield
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        st.close()


def _search_pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix="jdsearch-search")


def _prepare(st: IndexState, pool: ThreadPoolExecutor, threads: int) -> None:
    """Compute what is missing and open an engine in every search thread (a problem with the
    index is logged, not fatal: the pages then show the API's one-line error)."""
    try:
        st.prepare()
    except JdsearchError as exc:
        log.warning("not warmed up: %s", exc)
        return
    # one task per thread: the barrier holds each until all have started, so none runs twice
    barrier = threading.Barrier(threads, timeout=30)

    def warm() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):  # a thread was slow to start
            barrier.wait()
        st.warm_search()

    # this thread is one of the pool's, so the others are started by submitting threads - 1
    # tasks while this one joins the barrier itself
    futures = [pool.submit(warm) for _ in range(threads - 1)]
    warm()
    for f in futures:
        f.result()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description without FastAPI's 422 responses: bad parameters are 400 here."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in schema["paths"].values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jdsearch")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


class SecurityHeaders:
    """Adds CSP and friends to every response (pure ASGI: no per-request task overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TrustedHosts(TrustedHostMiddleware):
    """Starlette's Host check (same patterns, no www redirect) answering like every other
    error, a JSON 400; IPv6 literals (``[::1]:8000``) are matched with their brackets."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host", "")
        host = host_name(header)
        patterns = self.allowed_hosts
        if any(host == p or (p.startswith("*.") and host.endswith(p[1:])) for p in patterns):
            await self.app(scope, receive, send)
            return
        message = f"invalid Host header {header[:100]!r}: this server answers to its own address"
        await _json(error_json(message), 400)(scope, receive, send)


def host_name(header: str) -> str:
    """The host part of a Host header, lower-cased: ``[::1]:8000`` -> ``[::1]``."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[: end + 1] if end > 0 else ""
    return header.split(":", 1)[0]


def _json(data: object, status: int = 200) -> JSONResponse:
    """Bodies are already plain JSON types: skip FastAPI's slow generic encoder."""
    return JSONResponse(data, status_code=status)


def _state(request: Request) -> IndexState:
    return request.app.state.index  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- errors
def _add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(JdsearchError, _jdsearch_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal_error)


async def _jdsearch_error(request: Request, exc: JdsearchError) -> JSONResponse:
    status = 503 if isinstance(exc, IndexUnavailable) else 400
    return _json(error_json(str(exc)), status)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 list becomes our one-line 400: "limit: must be <= 100"."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return _json(error_json("; ".join(parts) or "invalid request"), 400)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 304:
        return Response(status_code=304)
    return _json(error_json(str(exc.detail)), exc.status_code)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("error serving %s", request.url.path, exc_info=exc)
    return _json(error_json("internal server error"), 500)


# --------------------------------------------------------------------------- API
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (1-{MAX_PAGE}).")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many (paging).")]
ClauseId = Annotated[str, PathParam(max_length=64, description="A clause id.")]
ThemeId = Annotated[str, PathParam(max_length=64, description="A theme id.")]


def _add_api_routes(app: FastAPI) -> None:
    app.get("/api/health", summary="Liveness and index totals", responses=ERRORS)(health)
    app.head("/api/health", include_in_schema=False)(health)  # monitors probe with HEAD
    app.get("/api/search", summary="Search clauses", responses=ERRORS)(search)
    app.get("/api/clauses/{clause_id}", summary="One clause", responses=NOT_FOUND)(clause)
    app.get("/api/dupes", summary="Duplicate groups", responses=ERRORS)(dupes)
    app.get("/api/themes", summary="The theme hierarchy", responses=ERRORS)(themes)
    app.get("/api/themes/{theme_id}", summary="One theme", responses=NOT_FOUND)(theme)
    app.get(
        "/api/export",
        summary="Download the taxonomy",
        responses={**ERRORS, 200: {"content": {t: {} for t, _ in EXPORT_FORMATS.values()}}},
    )(export)
    app.get("/api/decisions", summary="Curation decisions", responses=ERRORS)(decisions)
    app.post(
        "/api/decisions",
        summary="Record a curation decision",
        responses={**ERRORS, 403: {"model": ErrorBody, "description": "Cross-origin or no token"}},
    )(decide)


def decisions(request: Request) -> JSONResponse:
    """Every decision (``jdsearch curate log --json``), oldest first, with its status."""
    st = _state(request)
    st.require()
    return _json(st.corpus.decisions())


class DecisionBody(BaseModel):
    """A decision: ``type`` (kind, group-accept|reject|split|move|canonical,
    theme-rename|merge|split|canonical|drop, boilerplate), an optional ``reason`` and its
    arguments: ``clause``, ``kind``, ``group``, ``members``, ``to``, ``theme``, ``into``,
    ``en``, ``zh-Hans``, ``zh-Hant``, ``pattern`` (clauses by id or wording)."""

    model_config = {"extra": "allow"}
    type: str
    reason: str = ""


async def decide(request: Request, body: DecisionBody) -> JSONResponse:
    """Record and apply a decision, as ``jdsearch curate …`` does; answers the decision with
    its ``status``. Refused (403) from another origin, and without the server's token when it
    serves beyond loopback."""
    check_write(request)
    st = _state(request)
    st.require()
    args = {k: v for k, v in (body.model_extra or {}).items()}
    run = partial(st.corpus.decide, body.type, body.reason, **args)
    result = await asyncio.get_running_loop().run_in_executor(None, run)
    return _json(result)


def check_write(request: Request) -> None:
    """Writes only from this server's own pages (or a non-browser client): an ``Origin`` (or
    ``Sec-Fetch-Site``) naming another site is refused, so a page elsewhere cannot drive the
    API through the user's browser; with a token set, ``X-Jdsearch-Token`` must carry it."""
    headers = request.headers
    host = headers.get("host", "")
    origin = headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1].rstrip("/") != host:
        raise HTTPException(403, f"cross-origin write refused (origin {origin[:100]!r})")
    if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "cross-site write refused")
    token = request.app.state.write_token
    if token and not secrets.compare_digest(headers.get("x-jdsearch-token", ""), token):
        raise HTTPException(403, "this server needs its write token (X-Jdsearch-Token header)")


def health(request: Request) -> JSONResponse:
    """``{"status": "ok", "documents": n, "clauses": n}``; 503 while there is no index."""
    return _json(health_json(_state(request).counts()))


async def search(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="Query (jdsearch syntax).")] = "",
    kind: Annotated[str, Query(max_length=20, description="duty, requirement or other")] = "",
    lang: Annotated[str, Query(max_length=20, description="en, zh-Hans or zh-Hant")] = "",
    source: Annotated[str, Query(max_length=400, description="Only this source file")] = "",
    theme: Annotated[str, Query(max_length=64, description="Only this theme id")] = "",
    title: Annotated[str, Query(max_length=200, description="Job title contains")] = "",
    company: Annotated[str, Query(max_length=200, description="Company contains")] = "",
    city: Annotated[str, Query(max_length=100, description="City contains")] = "",
    collapse: Annotated[bool, Query(description="Fold near-duplicates into one hit")] = False,
    facets: Annotated[bool, Query(description="Count values of every facet field")] = True,
    limit: Limit = 10,
    offset: Offset = 0,
) -> Response:
    """Ranked clauses, each the ``jdsearch search --json`` hit object (``spans`` are offsets
    into the original ``text``), plus the total and facet counts. Filters may also be written
    in ``q`` (``lang:zh-Hant theme:t3``)."""
    filters = {"kind": kind, "lang": lang, "source": source, "theme": theme}
    filters.update({"title": title, "company": company, "city": city})
    query = build_query(q, filters)
    st = _state(request)
    key = (st.require(), query, limit, offset, collapse, facets)
    body = st.responses.get(key)
    if body is None:  # Whoosh blocks: search in a search thread (its own engine)
        run = partial(
            _search_body, st, query, limit=limit, offset=offset, collapse=collapse, facets=facets
        )
        body = await asyncio.get_running_loop().run_in_executor(request.app.state.search_pool, run)
        st.responses.put(key, body)
        cached = "miss"
    else:
        cached = "hit"
    return Response(body, media_type="application/json", headers={"X-Cache": cached})


def _search_body(st: IndexState, query: str, **kwargs: Any) -> bytes:
    result = st.search(query, **kwargs)
    body = search_json(
        query, result, total=result.total, limit=kwargs["limit"], offset=kwargs["offset"]
    )
    return _json(body).body


def build_query(q: str, filters: dict[str, str]) -> str:
    """The user's words plus each filter in the query language, values quoted."""
    parts = [q.strip()] if q.strip() else []
    for name, value in filters.items():
        value = value.strip()
        if not value:
            continue
        if '"' in value:
            raise JdsearchError(f"{name}: a filter value cannot contain a double quote")
        parts.append(f'{name}:"{value}"')
    return " ".join(parts)


def clause(request: Request, clause_id: ClauseId) -> JSONResponse:
    """The clause, its duplicate group (members with relation and similarity, and where each
    differs from the canonical) and its theme; ``group``/``theme`` are null when it has none."""
    st = _state(request)
    c = st.clause(clause_id)
    if c is None:
        raise HTTPException(404, f"unknown clause id {clause_id!r}")
    group = st.groups().by_clause.get(clause_id)
    by_id = st.clauses_by_id(m.clause_id for m in group.members) if group else {}
    t = st.themes().by_clause.get(clause_id)
    return _json(clause_detail_json(c, group, by_id, t))


def dupes(
    request: Request,
    relation: Annotated[
        Literal["", "exact", "near", "cross-script", "variant", "cross-lingual"],
        Query(description="Only groups with a member of this relation"),
    ] = "",
    min_size: Annotated[int, Query(ge=2, le=10_000, description="Smallest group size")] = 2,
    limit: Limit = 20,
    offset: Offset = 0,
) -> JSONResponse:
    """Duplicate groups, largest first: ``{"total": n, "groups": [dupes --json group]}``."""
    st = _state(request)
    view = st.groups()
    groups = [
        g
        for g in view.groups
        if len(g.members) >= min_size
        and (not relation or any(m.relation == relation for m in g.members))
    ]
    page = groups[offset : offset + limit]
    by_id = st.clauses_by_id(m.clause_id for g in page for m in g.members)
    return _json(groups_page_json(len(groups), page, by_id, stale=view.stale))


def themes(
    request: Request,
    groups: Annotated[int, Query(ge=0, le=200, description="Largest duties per theme")] = 20,
) -> JSONResponse:
    """The hierarchy areas -> themes -> canonical duties (the largest ``groups`` per theme,
    with sizes), as drawn by the theme map."""
    return _json(theme_map_json(_state(request).taxonomy(), max_groups=groups))


def theme(
    request: Request,
    theme_id: ThemeId,
    limit: Limit = 50,
    offset: Offset = 0,
) -> JSONResponse:
    """One theme (``jdsearch themes --json`` object) and a page of its member clauses."""
    st = _state(request)
    t = st.themes().by_id.get(theme_id)
    if t is None:
        raise HTTPException(404, f"unknown theme id {theme_id!r}")
    ids = t.members[offset : offset + limit]
    by_id = st.clauses_by_id(ids)
    return _json(theme_page_json(t, [by_id[cid] for cid in ids if cid in by_id]))


def export(
    request: Request,
    format: Annotated[str, Query(max_length=10, description="json, csv, md or skos")] = "json",
) -> Response:
    """The taxonomy as a download, as ``jdsearch export --format FORMAT`` writes it."""
    if format not in EXPORT_FORMATS:
        raise JdsearchError(
            f"unknown export format {format!r} (choose from {', '.join(EXPORT_FORMATS)})"
        )
    media_type, ext = EXPORT_FORMATS[format]
    body = export_taxonomy(_state(request).taxonomy(), format)
    return Response(
        body.encode("utf-8"),
        media_type=f"{media_type}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="jdsearch-taxonomy.{ext}"'},
    )


# --------------------------------------------------------------------------- pages
def _add_page_routes(app: FastAPI) -> None:
    for route, name in PAGES.items():
        app.api_route(route, methods=["GET", "HEAD"], include_in_schema=False)(_page(name))
    app.api_route("/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)(static)


def _page(name: str) -> Any:
    async def page(request: Request) -> Response:
        return request.app.state.assets.response(request, name, cache="no-cache")

    page.__name__ = "page_" + name.split(".")[0]
    return page


async def static(request: Request, name: str) -> Response:
    """A file of the package's static folder, or plotly.js from the ``plotly`` package."""
    if name.endswith(".html"):
        raise HTTPException(404, "not found")
    cache = "public, max-age=86400" if name == PLOTLY else "no-cache"
    response = request.app.state.assets.response(request, name, cache=cache)
    if response is None:
        raise HTTPException(404, "not found")
    return response  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- serving
def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    index_dir: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    access_log: bool = True,
    search_cache: int = 1024,
) -> None:
    """Run the app with uvicorn until interrupted.

    Loopback by default; any other address is the user's explicit choice and gets a warning,
    since the API has no authentication. ``$JDSEARCH_CORS_ORIGINS`` (comma-separated) turns
    CORS on for those origins. The port is bound before the warm-up, so a busy port is a
    one-line :class:`JdsearchError` at once rather than a traceback after it.
    """
    IndexState(index_dir).require()  # fail fast, with the CLI's one-line message
    loopback = is_loopback(host)
    if not loopback:
        print(
            f"warning: serving on {host}: anyone who can reach this address can read the "
            "index (there is no authentication)",
            file=sys.stderr,
        )
    sock = listen(host, port)
    token = None if loopback else secrets.token_urlsafe(18)
    if token:
        print(
            f"write token (X-Jdsearch-Token header for POST /api/decisions): {token}",
            file=sys.stderr,
        )
    try:
        origins = [o.strip() for o in os.environ.get("JDSEARCH_CORS_ORIGINS", "").split(",")]
        bound = f"[{host}]" if ":" in host else host
        app = create_app(
            index_dir,
            cors_origins=[o for o in origins if o] or None,
            allowed_hosts=[*LOOPBACK_NAMES, bound] if loopback else None,
            search_cache=search_cache,
            write_token=token,
        )
        app.state.url = f"http://{bound}:{sock.getsockname()[1]}"
        run_uvicorn(app, sock, access_log=access_log)
    finally:
        sock.close()


def listen(host: str, port: int) -> socket.socket:
    """A socket bound and listening on ``host:port`` (uvicorn serves on it once warmed up;
    until then connections wait in the backlog instead of being refused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        if exc.errno == errno.EADDRINUSE:
            reason += " (is jdsearch already serving there? choose another --port)"
        raise JdsearchError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def run_uvicorn(app: FastAPI, sock: socket.socket, *, access_log: bool = True) -> None:
    """uvicorn on an already bound socket, with jdsearch's own log lines beside its own."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["jdsearch"] = {"handlers": ["default"], "level": "INFO"}
    config = uvicorn.Config(app, access_log=access_log, log_level="info", log_config=log_config)
    uvicorn.Server(config).run(sockets=[sock])
