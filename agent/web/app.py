"""The web decision log's ASGI app (Starlette, the same stack as the webhook receiver): server-rendered
Jinja2 pages with autoescaping, a JSON twin of every page (`Accept: application/json`), GET routes only.

It reads through the database it is given (the read-only ops role in production) and never writes: there
is no route that takes anything but GET and HEAD.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, time
from enum import Enum
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from agent.cli.exits import BadInput
from agent.config import Settings
from agent.store.customers import CustomerNotFound
from agent.store.db import Database
from agent.web import views
from agent.web.security import BasicAuth, SecurityHeaders

View = Callable[..., dict[str, Any]]


def jsonable(value: Any) -> Any:
    """The page's data as JSON values: times in ISO 8601, enums by value."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    return value


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def query(params: Mapping[str, Any], **changes: Any) -> str:
    """The page's query string with some parameters changed (None drops one): pagination keeps filters."""
    merged = {**{k: v for k, v in params.items() if v not in (None, "")}, **changes}
    kept = {k: v for k, v in merged.items() if v is not None}
    return "?" + urlencode(kept) if kept else "?"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("agent.web", "templates"), autoescape=True, undefined=StrictUndefined
    )
    env.filters["when"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else (v or "")
    env.filters["pretty"] = lambda v: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
    env.globals["query"] = query
    return env


def create_app(db: Database, settings: Settings, *, now: Callable[[], datetime]) -> ASGIApp:
    ctx = views.Context(settings, now)
    env = environment()
    stylesheet = resources.files("agent.web").joinpath("static/style.css").read_text()

    def page(view: View, template: str) -> Callable[[Request], Any]:
        def read(params: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
            with db.session() as session:
                return view(session, params, ctx, **args)

        async def endpoint(request: Request) -> Response:
            params = dict(request.query_params)
            try:
                data = await run_in_threadpool(read, params, dict(request.path_params))
            except views.NotFound as missing:
                return _error(request, env, 404, str(missing))
            except (BadInput, CustomerNotFound) as bad:
                return _error(request, env, 400, str(bad))
            if wants_json(request):
                return JSONResponse(jsonable(data))
            return HTMLResponse(env.get_template(template).render(params=params, **data))

        return endpoint

    async def style(request: Request) -> Response:
        return Response(stylesheet, media_type="text/css")

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    routes = [
        Route("/", page(views.fleet, "fleet.html")),
        Route("/customers/{customer_id:int}", page(views.customer_page, "customer.html")),
        Route("/decisions", page(views.decision_list, "decisions.html")),
        Route("/decisions/{decision_id:int}", page(views.decision_page, "decision.html")),
        Route("/lineage/{source_post_id:str}", page(views.lineage, "lineage.html")),
        Route("/jobs/{job_id:str}", page(views.job_page, "job.html")),
        Route("/proposals", page(views.proposals, "proposals.html")),
        Route("/runs", page(views.runs, "runs.html")),
        Route("/health", page(views.health, "health.html")),
        Route("/static/style.css", style),
        Route("/healthz", healthz),
    ]
    app = Starlette(routes=routes)
    return SecurityHeaders(BasicAuth(app, settings.web_basic_auth))


def _error(request: Request, env: Environment, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    html = env.get_template("error.html").render(params={}, status=status, message=message)
    return HTMLResponse(html, status_code=status)
