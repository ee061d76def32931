"""The dashboard's WSGI application: routing, sign-in and the session cookie, security headers, templates.

Every page but the sign-in link itself needs a session: without one it answers 401 and says how to get a
link. Pages are read with GET (HEAD too); the only other method taken is POST to sign out, and only from a
page of the dashboard itself (Origin checked; the cookie is SameSite=Lax as well).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader

from bot.core.dashboard import overview as figures
from bot.core.dashboard.listing import PAGE_SIZE, parse_filter
from bot.core.items.lifecycle import LABELS as STATUS_LABELS
from bot.deps import Deps
from bot.services.dashboard import access, pages

log = logging.getLogger(__name__)

COOKIE = "remediate_dashboard"
HERE = Path(__file__).resolve().parent
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
]
_ID = re.compile(r"[A-Za-z0-9-]{1,32}")
StartResponse = Callable[..., Any]


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 60 * 48:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.update(
        when=_when,
        iso=_iso,
        money=figures.money,
        percent=figures.percent,
        hours=figures.hours,
        duration=_duration,
        status_label=lambda s: STATUS_LABELS.get(s, s),
    )
    return env


class Response:
    def __init__(
        self, status: str, body: bytes | Iterable[bytes], content_type: str, headers: list[tuple[str, str]]
    ):
        self.status, self.body, self.content_type, self.headers = status, body, content_type, headers


def make_app(
    deps: Deps, *, prefix: str = "/dashboard"
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    env = environment()
    secure = deps.settings.dashboard_base.startswith("https://")
    static = {p.name: p.read_bytes() for p in (HERE / "static").iterdir() if p.suffix in STATIC_TYPES}
    own_origin = "{0.scheme}://{0.netloc}".format(urlsplit(deps.settings.dashboard_base))

    def render(status: str, template: str, **context: Any) -> Response:
        html = env.get_template(template).render(base=prefix, **context)
        return Response(
            status, html.encode("utf-8"), "text/html; charset=utf-8", [("Cache-Control", "no-store")]
        )

    def refuse(status: str, title: str, message: str, extra: list[tuple[str, str]] | None = None) -> Response:
        r = render(status, "refused.html", title=title, message=message)
        r.headers += extra or []
        return r

    def cookie(value: str, max_age: int) -> tuple[str, str]:
        parts = [f"{COOKIE}={value}", f"Path={prefix}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
        if secure:
            parts.append("Secure")
        return ("Set-Cookie", "; ".join(parts))

    def session_id(environ: dict[str, Any]) -> str | None:
        jar = SimpleCookie()
        try:
            jar.load(environ.get("HTTP_COOKIE", ""))
        except CookieError:
            return None
        morsel = jar.get(COOKIE)
        return morsel.value if morsel is not None else None

    def sign_in(params: dict[str, list[str]]) -> Response:
        token = (params.get("token") or [""])[0]
        result = access.sign_in(deps, token=token, now=deps.now())
        if isinstance(result, access.SignedIn):
            max_age = int(deps.settings.dashboard_session_hours * 3600)
            return Response(
                "303 See Other",
                b"",
                "text/plain; charset=utf-8",
                [
                    ("Location", prefix + "/"),
                    ("Cache-Control", "no-store"),
                    cookie(result.session_id, max_age),
                ],
            )
        why = {
            access.Refused.MISSING: "This sign-in address has no link token.",
            access.Refused.UNKNOWN: "This sign-in link is not one I gave out.",
            access.Refused.EXPIRED: "This sign-in link has expired: links last 15 minutes.",
            access.Refused.USED: "This sign-in link was already used: each link opens the dashboard once.",
        }[result]
        return refuse("401 Unauthorized", "Sign-in link refused", why)

    def route(environ: dict[str, Any]) -> Response:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "")[len(prefix) :] or "/"
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=False)
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            if method not in ("GET", "HEAD"):
                return _plain("405 Method Not Allowed", "GET only\n", [("Allow", "GET, HEAD")])
            if name not in static:
                return _plain("404 Not Found", "not found\n")
            ctype = STATIC_TYPES[Path(name).suffix]
            return Response("200 OK", static[name], ctype, [("Cache-Control", "public, max-age=3600")])
        if path == "/sign-out":
            if method != "POST":
                return _plain("405 Method Not Allowed", "POST only\n", [("Allow", "POST")])
            origin = environ.get("HTTP_ORIGIN")
            if origin and origin not in (own_origin, _request_origin(environ)):
                return _plain("403 Forbidden", "sign out from the dashboard itself\n")
            access.sign_out(deps, session_id=session_id(environ))
            r = render(
                "200 OK", "refused.html", title="Signed out", message="You are signed out of the dashboard."
            )
            r.headers.append(cookie("", 0))
            return r
        if method not in ("GET", "HEAD"):
            return _plain(
                "405 Method Not Allowed", "the dashboard is read-only: GET only\n", [("Allow", "GET, HEAD")]
            )
        if path == "/sign-in":
            return sign_in(params)
        now = deps.now()
        user = access.session_user(deps, session_id=session_id(environ), now=now)
        if user is None:
            return refuse(
                "401 Unauthorized",
                "Sign in to the dashboard",
                "Type /remediate dashboard in Slack: I answer with a personal link that signs you in.",
            )
        if path in ("/", ""):
            return render(
                "200 OK", "overview.html", page=pages.get_overview(deps, now=now), user=user, nav="overview"
            )
        if path == "/items":
            listing = pages.list_items(deps, filter=parse_filter(params), now=now)
            status = "400 Bad Request" if listing.filter.errors else "200 OK"
            return render(status, "items.html", page=listing, user=user, nav="items", page_size=PAGE_SIZE)
        if path == "/items.csv":
            f = parse_filter(params)
            if f.errors:
                return _plain("400 Bad Request", " ".join(f.errors) + "\n")
            stamp = now.strftime("%Y%m%d-%H%M")
            return Response(
                "200 OK",
                # Written whole before answering: the database is not held while a slow client reads.
                list(_csv(pages.export_csv_rows(deps, filter=f, now=now))),
                "text/csv; charset=utf-8",
                [
                    ("Cache-Control", "no-store"),
                    ("Content-Disposition", f'attachment; filename="remediation-items-{stamp}.csv"'),
                ],
            )
        for kind, getter, template in (
            ("/items/", pages.get_item, "item.html"),
            ("/incidents/", pages.get_incident, "incident.html"),
        ):
            if path.startswith(kind):
                ident = path[len(kind) :]
                found = None
                if _ID.fullmatch(ident):
                    found = (
                        pages.get_item(deps, item_id=ident, now=now)
                        if getter is pages.get_item
                        else pages.get_incident(deps, incident_id=ident, now=now)
                    )
                if found is None:
                    return render(
                        "404 Not Found",
                        "refused.html",
                        title="Not found",
                        message="There is nothing by that id.",
                    )
                return render("200 OK", template, page=found, user=user, nav="items")
        return render("404 Not Found", "refused.html", title="Not found", message="There is no such page.")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        response = route(environ)
        headers = [("Content-Type", response.content_type), *SECURITY_HEADERS, *response.headers]
        if isinstance(response.body, bytes):
            headers.append(("Content-Length", str(len(response.body))))
        start_response(response.status, headers)
        log.debug("dashboard %s %s in %.1f ms", response.status[:3], environ.get("PATH_INFO"), _ms(started))
        if environ.get("REQUEST_METHOD", "GET").upper() == "HEAD":
            return [b""]
        return [response.body] if isinstance(response.body, bytes) else response.body

    return application


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _request_origin(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _plain(status: str, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(
        status,
        text.encode("utf-8"),
        "text/plain; charset=utf-8",
        [("Cache-Control", "no-store"), *(headers or [])],
    )


def _csv(rows: Iterable[Sequence[str]], chunk: int = 500) -> Iterator[bytes]:
    """The rows as CSV, `chunk` rows to a piece of the body."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    it = iter(rows)
    while batch := list(islice(it, chunk)):
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
