"""A fake GitHub REST API on loopback, and the repository web hooks GitHub sends, signed as GitHub signs them.

The API (``/user``, ``/repos/{owner}/{repo}``, its issues, their comments and the contents API) checks what
GitHub checks: the token in ``Authorization: Bearer <token>`` (or ``token <token>``; 401 "Bad credentials"
otherwise), the ``Accept`` media type and ``X-GitHub-Api-Version`` when the client sends them (415 / 400),
a JSON object body with the fields and types each endpoint takes (400 "Problems parsing JSON", 422
"Validation Failed" with GitHub's ``errors`` list, an assignee who cannot be assigned included). It answers
with GitHub's shapes: an issue has ``id``, ``node_id``, ``number``, ``url``, ``html_url``,
``repository_url``, ``state``, ``state_reason``, ``labels`` as objects, ``assignee``/``assignees`` and
``user`` as simple users, ``created_at``/``updated_at``/``closed_at`` as ``2026-11-23T14:00:00Z``.

Faults on demand: `fail_with(status, times=…)` (401, 403 secondary rate limit with ``retry-after``, 429,
500, …), `down()` / `up()`, `delay(seconds)`. Every request is recorded (`calls`), answered or not.

Web hooks: what people do in GitHub (`close_issue` as completed or not_planned, `reopen_issue`,
`assign_issue`, which sends ``unassigned`` and ``assigned``) changes the issue and is sent to the bot's
``/hooks/github`` at once; what the API changed (the bot's own PATCH) is queued in
`outbox` as GitHub would send it too, and `flush()` sends it (the echo). Each delivery is ``POST`` with
``X-GitHub-Event: issues``, ``X-GitHub-Delivery: <uuid>``, ``X-GitHub-Hook-ID``, ``X-Hub-Signature`` (sha1)
and ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``, body ``{"action", "issue",
"repository", "sender"[, "assignee"]}``; `redeliver(hook)` sends one again with the same delivery id;
`hook_body` and `signed` build one for a test to alter (forgeries).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_VERSIONS = ("2022-11-28", "2026-03-10")
MEDIA_TYPES = (
    "application/vnd.github+json",
    "application/vnd.github.v3+json",
    "application/json",
    "application/vnd.github.raw+json",
    "application/vnd.github.raw",
    "*/*",
)
DOCS = "https://docs.github.com/rest"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you "
    "reach out to GitHub Support for help, please include the request ID ABCD:1234:5678."
)
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")


@dataclass
class Call:
    method: str
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any
    status: int = 0


@dataclass
class Hook:
    """One web hook delivery as GitHub sent it, and what the bot answered."""

    delivery: str
    event: str
    action: str
    body: bytes
    headers: dict[str, str]
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub:
    def __init__(
        self,
        token: str,
        *,
        repositories: tuple[str, ...] = ("acme/backend",),
        login: str = "remediate-bot",
        clock: Callable[[], datetime] | None = None,
        hook_url: str | None = None,
        hook_secret: str | None = None,
    ) -> None:
        self.token = token
        self.login = login
        self.clock = clock or (lambda: datetime.now(UTC))
        self.hook_url = hook_url
        self.hook_secret = hook_secret
        self.repositories = {r.lower(): r for r in repositories}
        self.assignable: set[str] = {login}  # logins that may be assigned in the repositories
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.files: dict[tuple[str, str, str], bytes] = {}  # (repo, ref, path) -> content
        self.calls: list[Call] = []
        self.errors: list[str] = []  # exceptions of the fake itself (a test's fixture should assert none)
        self.hooks: list[Hook] = []  # every delivery sent, in order
        self.outbox: list[tuple[str, dict[str, Any], str]] = []  # (action, issue, sender) not yet sent
        self._faults: list[tuple[int, dict[str, str]]] = []
        self._delay = 0.0
        self._next_id = 1_000_000_001
        self._next_number: dict[str, int] = {}
        self._lock = threading.RLock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    status, extra, answer = fake._answer(self.command, self.path, headers, raw)
                except Exception as exc:  # a bug of the fake: answered, and kept for the test to see
                    fake.errors.append(f"{self.command} {self.path}: {exc!r}")
                    status, extra, answer = 500, {}, {"message": f"fake GitHub error: {exc!r}"}
                if isinstance(answer, bytes):
                    data, kind = answer, "application/vnd.github.raw; charset=utf-8"
                else:
                    data = b"" if answer is None else json.dumps(answer).encode()
                    kind = "application/json; charset=utf-8"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
                self.send_header("X-GitHub-Request-Id", uuid.uuid4().hex[:20].upper())
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- faults ----------------------------------------------------------------------------------------
    def fail_with(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` requests answer `status` (403 and 429 as a secondary rate limit)."""
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        with self._lock:
            self._faults.extend([(status, headers)] * times)

    def down(self, status: int = 500) -> None:
        self.fail_with(status, times=1_000_000)

    def up(self) -> None:
        with self._lock:
            self._faults.clear()

    def delay(self, seconds: float) -> None:
        """Answer every request `seconds` late (0: at once)."""
        self._delay = seconds

    # --- test set-up -----------------------------------------------------------------------------------
    def add_issue(
        self,
        repository: str,
        *,
        title: str,
        body: str = "",
        labels: tuple[str, ...] = (),
        assignees: tuple[str, ...] = (),
        author: str = "octocat",
        pull_request: bool = False,
    ) -> dict[str, Any]:
        """An issue that already exists (someone made it in GitHub)."""
        with self._lock:
            issue = self._new_issue(repository, title, body, list(labels), list(assignees), author)
            if pull_request:
                issue["pull_request"] = {"url": issue["url"].replace("/issues/", "/pulls/")}
            return json.loads(json.dumps(issue))

    def add_file(self, repository: str, ref: str, path: str, content: bytes) -> None:
        self.files[(repository.lower(), ref, path)] = content

    # --- what the bot did ------------------------------------------------------------------------------
    def issue(self, repository: str, number: int | str) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self.issues[(repository.lower(), int(number))]))

    def created(self) -> list[dict[str, Any]]:
        """The issues the bot created (POSTed and answered 201), oldest first."""
        with self._lock:
            return [
                json.loads(json.dumps(i))
                for i in self.issues.values()
                if i["user"]["login"] == self.login and "pull_request" not in i
            ]

    def writes(self, method: str | None = None, *, ok: bool = True) -> list[Call]:
        """The POST and PATCH calls (of `method`), answered 2xx when `ok`."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method in ((method,) if method else ("POST", "PATCH"))
                and (not ok or 200 <= c.status < 300)
            ]

    # --- the REST API ----------------------------------------------------------------------------------
    def _answer(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if self._delay:
            time.sleep(self._delay)
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        call = Call(method, path, query, headers, body)
        with self._lock:
            self.calls.append(call)
            status, extra, answer = self._route(method, path, query, headers, raw, body)
            call.status = status
        return status, extra, answer

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        body: Any,
    ) -> tuple[int, dict[str, str], Any]:
        auth = headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not hmac.compare_digest(given, self.token):
            return 401, {}, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
        if self._faults:
            status, extra = self._faults.pop(0)
            return status, extra, _fault_body(status)
        accept = headers.get("accept")
        if accept and not any(a.split(";")[0].strip() in MEDIA_TYPES for a in accept.split(",")):
            return 415, {}, _error("Unsupported 'Accept' header", 415)
        version = headers.get("x-github-api-version")
        if version is not None and version not in API_VERSIONS:
            return 400, {}, _error(f"API version {version} is not supported.", 400)
        if method in ("POST", "PATCH"):
            if not headers.get("content-type", "").startswith("application/json") and raw:
                return 415, {}, _error("Unsupported Media Type", 415)
            if not isinstance(body, dict):
                return 400, {}, _error("Problems parsing JSON", 400)
        segments = [s for s in path.split("/") if s]
        if segments == ["user"] and method == "GET":
            return 200, {}, self._user(self.login)
        if len(segments) < 3 or segments[0] != "repos":
            return 404, {}, _error("Not Found", 404)
        repository = f"{segments[1]}/{segments[2]}"
        if repository.lower() not in self.repositories:
            return 404, {}, _error("Not Found", 404)
        rest = segments[3:]
        if not rest and method == "GET":
            return 200, {}, self._repository(repository)
        if rest[:1] == ["contents"] and method == "GET":
            content = self.files.get((repository.lower(), query.get("ref", "main"), "/".join(rest[1:])))
            if content is None:
                return 404, {}, _error("Not Found", 404)
            return 200, {}, content
        if rest == ["issues"]:
            if method == "GET":
                return 200, {}, self._list(repository, query)
            if method == "POST":
                return self._create(repository, body)
        if len(rest) >= 2 and rest[0] == "issues":
            if not rest[1].isdigit():
                return 404, {}, _error("Not Found", 404)
            key = (repository.lower(), int(rest[1]))
            issue = self.issues.get(key)
            if issue is None:
                return 404, {}, _error("Not Found", 404)
            if len(rest) == 2 and method == "GET":
                return 200, {}, issue
            if len(rest) == 2 and method == "PATCH":
                return self._update(issue, body)
            if rest[2:] == ["comments"]:
                if method == "GET":
                    return 200, {}, self.comments.get(key, [])
                if method == "POST":
                    return self._comment(issue, key, body)
        return 404, {}, _error("Not Found", 404)

    def _list(self, repository: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """GET /repos/{owner}/{repo}/issues: state (open, closed, all; default open), labels (all of a
        comma-separated list), sort (created, updated), direction (asc, desc), per_page (at most 100), page.
        Pull requests are issues here too, as on GitHub."""
        state = query.get("state", "open")
        wanted = {n.strip() for n in query.get("labels", "").split(",") if n.strip()}
        found = [
            i
            for (repo, _), i in self.issues.items()
            if repo == repository.lower()
            and (state == "all" or i["state"] == state)
            and wanted <= {label["name"] for label in i["labels"]}
        ]
        key = "updated_at" if query.get("sort") == "updated" else "created_at"
        found.sort(key=lambda i: (i[key], i["number"]), reverse=query.get("direction", "desc") == "desc")
        per_page = min(int(query.get("per_page", "30") or 30), 100)
        page = max(int(query.get("page", "1") or 1), 1)
        return found[(page - 1) * per_page : page * per_page]

    def _create(self, repository: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        errors = []
        title = body.get("title")
        if not isinstance(title, str | int) or (isinstance(title, str) and not title.strip()):
            errors.append(_missing("Issue", "title"))
        elif isinstance(title, str) and len(title) > 256:
            errors.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "title",
                    "message": "title is too long (maximum is 256 characters)",
                }
            )
        errors += self._field_errors(body, ("body", "labels", "assignees", "milestone"))
        if errors:
            return 422, {}, _invalid(errors)
        issue = self._new_issue(
            repository,
            str(title),
            body.get("body") or "",
            _label_names(body.get("labels") or []),
            list(body.get("assignees") or []),
            self.login,
        )
        return 201, {"Location": issue["url"]}, issue

    def _update(self, issue: dict[str, Any], body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        errors = self._field_errors(body, ("title", "body", "labels", "assignees", "milestone", "state"))
        if errors:
            return 422, {}, _invalid(errors)
        before = json.loads(json.dumps(issue))
        now = stamp(self.clock())
        if "title" in body:
            issue["title"] = str(body["title"])
        if "body" in body:
            issue["body"] = body["body"]
        if "labels" in body:
            issue["labels"] = [self._label(issue["repository_url"], n) for n in _label_names(body["labels"])]
        if "assignees" in body:
            issue["assignees"] = [self._user(a) for a in body["assignees"]]
            issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
        state = body.get("state")
        if state == "closed" and issue["state"] != "closed":
            issue["state"], issue["closed_at"] = "closed", now
            issue["state_reason"] = body.get("state_reason") or "completed"
            issue["closed_by"] = self._user(self.login)
        elif state == "open" and issue["state"] != "open":
            issue["state"], issue["closed_at"], issue["closed_by"] = "open", None, None
            issue["state_reason"] = "reopened"
        elif "state_reason" in body and issue["state"] == "closed" and body["state_reason"]:
            issue["state_reason"] = body["state_reason"]
        if issue != before:
            issue["updated_at"] = now
            self._queue_hooks(before, issue, self.login)
        return 200, {}, issue

    def _comment(
        self, issue: dict[str, Any], key: tuple[str, int], body: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        text = body.get("body")
        if not isinstance(text, str) or not text:
            return 422, {}, _invalid([_missing("IssueComment", "body")])
        comment_id = self._id()
        comment = {
            "id": comment_id,
            "node_id": f"IC_kwDO{comment_id}",
            "url": f"{issue['repository_url']}/issues/comments/{comment_id}",
            "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
            "issue_url": issue["url"],
            "body": text,
            "user": self._user(self.login),
            "created_at": stamp(self.clock()),
            "updated_at": stamp(self.clock()),
            "author_association": "NONE",
        }
        self.comments.setdefault(key, []).append(comment)
        issue["comments"] += 1
        return 201, {"Location": comment["url"]}, comment

    def _field_errors(self, body: dict[str, Any], allowed: tuple[str, ...]) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        if "body" in body and body["body"] is not None and not isinstance(body["body"], str):
            errors.append(_wrong("body", "string", body["body"]))
        if "title" in body and "title" in allowed and not isinstance(body["title"], str | int):
            errors.append(_wrong("title", "string", body["title"]))
        for name in ("labels", "assignees"):
            if name in body:
                value = body[name]
                if not isinstance(value, list) or not all(
                    isinstance(v, str) or (name == "labels" and isinstance(v, dict) and "name" in v)
                    for v in value
                ):
                    errors.append(_wrong(name, "array", value))
        for login in body.get("assignees") or [] if isinstance(body.get("assignees"), list) else []:
            if isinstance(login, str) and login.lower() not in {a.lower() for a in self.assignable}:
                errors.append({"value": login, "resource": "Issue", "field": "assignees", "code": "invalid"})
        if "state" in body and "state" in allowed and body["state"] not in ("open", "closed"):
            errors.append({"resource": "Issue", "code": "invalid", "field": "state", "value": body["state"]})
        reason = body.get("state_reason")
        if reason is not None and reason not in STATE_REASONS:
            errors.append({"resource": "Issue", "code": "invalid", "field": "state_reason", "value": reason})
        unknown = set(body) - {*allowed, "title", "state_reason", "assignee", "type"}
        if unknown and "state" not in allowed:  # POST takes its own set
            errors += [{"resource": "Issue", "code": "invalid", "field": k} for k in sorted(unknown)]
        return errors

    # --- shapes ----------------------------------------------------------------------------------------
    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _user(self, login: str) -> dict[str, Any]:
        uid = int(hashlib.sha256(login.lower().encode()).hexdigest()[:7], 16)
        return {
            "login": login,
            "id": uid,
            "node_id": f"U_kgDO{uid}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "url": f"{self.url}/users/{login}",
            "html_url": f"https://github.com/{login}",
            "type": "Bot" if login == self.login else "User",
            "site_admin": False,
        }

    def _repository(self, repository: str) -> dict[str, Any]:
        owner, _, name = self.repositories[repository.lower()].partition("/")
        rid = int(hashlib.sha256(repository.lower().encode()).hexdigest()[:8], 16)
        return {
            "id": rid,
            "node_id": f"R_kgDO{rid}",
            "name": name,
            "full_name": f"{owner}/{name}",
            "private": True,
            "owner": {**self._user(owner), "type": "Organization"},
            "html_url": f"https://github.com/{owner}/{name}",
            "url": f"{self.url}/repos/{owner}/{name}",
            "has_issues": True,
            "default_branch": "main",
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        }

    def _label(self, repository_url: str, name: str) -> dict[str, Any]:
        lid = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
        return {
            "id": lid,
            "node_id": f"LA_kwDO{lid}",
            "url": f"{repository_url}/labels/{name}",
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def _new_issue(
        self,
        repository: str,
        title: str,
        body: str,
        labels: list[str],
        assignees: list[str],
        author: str,
    ) -> dict[str, Any]:
        full = self.repositories[repository.lower()]
        number = self._next_number.get(full.lower(), 41) + 1
        self._next_number[full.lower()] = number
        issue_id = self._id()
        api = f"{self.url}/repos/{full}"
        now = stamp(self.clock())
        users = [self._user(a) for a in assignees]
        issue = {
            "id": issue_id,
            "node_id": f"I_kwDO{issue_id}",
            "url": f"{api}/issues/{number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{number}/comments",
            "events_url": f"{api}/issues/{number}/events",
            "html_url": f"https://github.com/{full}/issues/{number}",
            "number": number,
            "state": "open",
            "state_reason": None,
            "title": title,
            "body": body,
            "user": self._user(author),
            "labels": [self._label(api, n) for n in labels],
            "assignee": users[0] if users else None,
            "assignees": users,
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": 0,
            "closed_at": None,
            "created_at": now,
            "updated_at": now,
            "closed_by": None,
            "author_association": "MEMBER",
        }
        self.issues[(full.lower(), number)] = issue
        return issue

    # --- web hooks -------------------------------------------------------------------------------------
    def close_issue(
        self, repository: str, number: int | str, *, reason: str = "completed", by: str = "octocat"
    ) -> list[Hook]:
        """Someone closes the issue on github.com (as completed or not_planned); its hook is sent."""
        return self._by_person(repository, number, by, state="closed", state_reason=reason)

    def reopen_issue(self, repository: str, number: int | str, *, by: str = "octocat") -> list[Hook]:
        return self._by_person(repository, number, by, state="open")

    def assign_issue(
        self, repository: str, number: int | str, *logins: str, by: str = "octocat"
    ) -> list[Hook]:
        """Set the issue's assignees to `logins` (as the web page's picker does), sending the hooks."""
        self.assignable.update(logins)
        return self._by_person(repository, number, by, assignees=list(logins))

    def _by_person(self, repository: str, number: int | str, by: str, **change: Any) -> list[Hook]:
        """A change someone made on github.com: applied, and each hook it causes sent now."""
        with self._lock:
            issue = self.issues[(repository.lower(), int(number))]
            before = json.loads(json.dumps(issue))
            login = self.login
            self.login = by  # who makes the change (closed_by, sender)
            try:
                self._update_silently(issue, change)
            finally:
                self.login = login
            if issue != before:
                issue["updated_at"] = stamp(self.clock())
                self._queue_hooks(before, issue, by)
        return self.flush()

    def _update_silently(self, issue: dict[str, Any], change: dict[str, Any]) -> None:
        queued = len(self.outbox)
        status, _, answer = self._update(issue, change)
        assert status == 200, answer
        del self.outbox[queued:]

    def _queue_hooks(self, before: dict[str, Any], after: dict[str, Any], sender: str) -> None:
        found: list[tuple[str, dict[str, Any]]] = []
        if before["state"] != after["state"]:
            found.append(("closed" if after["state"] == "closed" else "reopened", {}))
        old = {a["login"] for a in before["assignees"]}
        new = {a["login"] for a in after["assignees"]}
        found += [("unassigned", {"assignee": self._user(login)}) for login in sorted(old - new)]
        found += [("assigned", {"assignee": self._user(login)}) for login in sorted(new - old)]
        if before["title"] != after["title"] or before["body"] != after["body"]:
            found.append(("edited", {"changes": {"body": {"from": before["body"]}}}))
        added = {x["name"] for x in after["labels"]} - {x["name"] for x in before["labels"]}
        found += [("labeled", {"label": self._label(after["repository_url"], n)}) for n in sorted(added)]
        snapshot = json.loads(json.dumps(after))
        self.outbox += [(action, {**extra, "issue": snapshot}, sender) for action, extra in found]

    def flush(self) -> list[Hook]:
        """Send every hook waiting (GitHub sends them a moment after the change), in order."""
        with self._lock:
            waiting, self.outbox = self.outbox, []
        return [
            self.send(action, extra.pop("issue"), sender=sender, **extra) for action, extra, sender in waiting
        ]

    def hook_body(
        self, action: str, issue: dict[str, Any], *, sender: str = "octocat", **extra: Any
    ) -> bytes:
        repository = issue["repository_url"].split("/repos/", 1)[1]
        payload = {
            "action": action,
            "issue": issue,
            **extra,
            "repository": self._repository(repository),
            "sender": self._user(sender),
        }
        return json.dumps(payload).encode()

    def signed(self, body: bytes, *, event: str = "issues", delivery: str | None = None) -> dict[str, str]:
        """The headers GitHub sends with `body`, signed with the hook's secret."""
        assert self.hook_secret is not None, "no web hook secret"
        secret = self.hook_secret.encode()
        return {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/7c3a8e1",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "473829104",
            "X-GitHub-Hook-Installation-Target-ID": "79929171",
            "X-GitHub-Hook-Installation-Target-Type": "repository",
            "X-Hub-Signature": "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest(),
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        }

    def send(self, action: str, issue: dict[str, Any], *, sender: str = "octocat", **extra: Any) -> Hook:
        body = self.hook_body(action, issue, sender=sender, **extra)
        headers = self.signed(body)
        hook = Hook(headers["X-GitHub-Delivery"], "issues", action, body, headers)
        return self.post(hook)

    def redeliver(self, hook: Hook) -> Hook:
        """The same delivery again (GitHub's "Redeliver": same body, same X-GitHub-Delivery)."""
        return self.post(Hook(hook.delivery, hook.event, hook.action, hook.body, dict(hook.headers)))

    def post(self, hook: Hook) -> Hook:
        assert self.hook_url is not None, "no web hook URL"
        parts = urlsplit(self.hook_url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            conn.request("POST", parts.path, body=hook.body, headers=hook.headers)
            resp = conn.getresponse()
            raw = resp.read()
            hook.status = resp.status
            hook.answer = json.loads(raw) if raw.startswith(b"{") else {"raw": raw.decode()}
        finally:
            conn.close()
        with self._lock:
            self.hooks.append(hook)
        return hook


def _label_names(labels: list[Any]) -> list[str]:
    return [str(x["name"] if isinstance(x, dict) else x) for x in labels]


def _error(message: str, status: int) -> dict[str, Any]:
    return {"message": message, "documentation_url": DOCS, "status": str(status)}


def _invalid(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"message": "Validation Failed", "errors": errors, "documentation_url": DOCS, "status": "422"}


def _missing(resource: str, name: str) -> dict[str, Any]:
    return {"resource": resource, "code": "missing_field", "field": name}


def _wrong(name: str, kind: str, value: Any) -> dict[str, Any]:
    article = "an" if kind[0] in "aeiou" else "a"
    return {
        "resource": "Issue",
        "code": "invalid",
        "field": name,
        "message": f"For '{name}', {json.dumps(value)[:40]} is not {article} {kind}.",
    }


def _fault_body(status: int) -> dict[str, Any]:
    if status == 401:
        return _error("Bad credentials", 401)
    if status in (403, 429):
        return {"message": SECONDARY, "documentation_url": DOCS + "/overview/rate-limits-for-the-rest-api"}
    if status == 404:
        return _error("Not Found", 404)
    return {"message": "Server Error"} if status >= 500 else _error(f"HTTP {status}", status)
