"""A fake Jira Cloud on loopback: the REST API v3 calls the bot makes, and the web hooks Jira sends.

REST (``/rest/api/3``; ``/rest/api/2`` for Data Center, where descriptions and comments are plain text):
every request must carry Basic auth of the account's e-mail and API token (Cloud) or a Bearer personal
access token (Data Center), else 401. ``POST /issue`` checks the fields the way Jira does (project, summary,
issue type, a description and comment bodies in Atlassian Document Format, labels without spaces, a known
priority, ``duedate`` as YYYY-MM-DD, an assignee Jira knows) and answers ``{"id", "key", "self"}`` or 400
with Jira's error body ``{"errorMessages": [...], "errors": {field: message}}``. ``GET /issue/KEY`` answers
the issue with its ``fields`` (status with its ``statusCategory``, assignee, duedate, priority, labels,
updated), ``PUT /issue/KEY`` edits fields, ``PUT /issue/KEY/assignee`` assigns, ``GET``/``POST
/issue/KEY/transitions`` follow a simple workflow (To Do, In Progress, Done: any status to any other),
``GET /myself``, ``GET /user?accountId=``, ``GET /user/search?query=`` (matches an e-mail exactly or the
start of a display name), ``POST /search/jql`` (``labels = "x"`` only). Every request is recorded
(`requests`), answered or not.

Faults on demand: `fail_with(status, times, retry_after)` (401, 429 with Retry-After, 500...), `down()`
(500 until `up()`), `delay(seconds)` before each answer.

Web hooks: `change(key, status=..., assignee=..., duedate=..., by=...)` makes a change as a person in Jira
does and returns the ``jira:issue_updated`` hook it causes, signed as Jira Cloud signs a web hook that has a
secret: ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>``, with ``X-Atlassian-Webhook-Identifier``
(the same on Jira's retries).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
ISSUE_TYPES = {"Task": "10002", "Bug": "10004", "Story": "10001"}
# name -> (status id, category key, category id, category name, colour)
STATUSES = {
    "To Do": ("10000", "new", 2, "To Do", "blue-gray"),
    "In Progress": ("3", "indeterminate", 4, "In Progress", "yellow"),
    "Done": ("10001", "done", 3, "Done", "green"),
}
TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
_ALLOWED_FIELDS = {
    "project",
    "summary",
    "issuetype",
    "description",
    "labels",
    "priority",
    "duedate",
    "assignee",
    "reporter",
}
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="protected-area"'}
KEEP = "(unchanged)"  # `change(...)` leaves a field as it is
_NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the API prefix: /issue/OPS-1/transitions
    query: dict[str, str]
    body: Any
    status: int  # what it was answered
    api: str  # "3" or "2"


class FakeJira:
    def __init__(
        self,
        *,
        email: str = "bot@acme.example",
        api_token: str = "jira-api-token",
        pat: str | None = None,
        project: str = "OPS",
    ) -> None:
        self.email, self.api_token, self.pat, self.project = email, api_token, pat, project
        self.issues: dict[str, dict[str, Any]] = {}  # key -> {"id", "key", "fields", "comments"}
        self.users: dict[str, dict[str, Any]] = {}  # accountId -> user
        self.requests: list[Request] = []
        self.browse_users = True  # the global permission Browse users and groups (people searches)
        self._faults: list[tuple[int, int | None]] = []
        self._delay = 0.0
        self._lock = threading.RLock()
        self._ids = itertools.count(10001)
        self._numbers = itertools.count(1)
        self._hook_ids = itertools.count(800001)
        self.bot_account = self.add_user("Remediate Bot", email, account_id="712020:bot-remediate")
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer, headers = fake._answer(self.command, self.path, dict(self.headers), body)
                raw = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if answer is not None:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- state a test sets up ------------------------------------------------------------------------
    def add_user(self, name: str, email: str, *, account_id: str | None = None) -> str:
        account = account_id or f"5b10ac8d82e05b22cc7d{len(self.users):04d}"
        with self._lock:
            self.users[account] = {
                "self": f"{self.url if hasattr(self, 'url') else ''}/rest/api/3/user?accountId={account}",
                "accountId": account,
                "name": email.split("@")[0].lower(),  # Data Center names people by user name
                "accountType": "atlassian",
                "emailAddress": email,
                "displayName": name,
                "active": True,
                "timeZone": "UTC",
            }
        return account

    def add_issue(self, summary: str, *, status: str = "To Do", **fields: Any) -> str:
        """An issue made in Jira by someone (not through the API calls recorded); its key."""
        with self._lock:
            return self._new_issue(
                {
                    "project": {"key": self.project},
                    "summary": summary,
                    "issuetype": {"name": "Task"},
                    **fields,
                },
                status=status,
            )["key"]

    # --- failing on demand ---------------------------------------------------------------------------
    def fail_with(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        with self._lock:
            self._faults.extend([(status, retry_after)] * times)

    def down(self, status: int = 500) -> None:
        with self._lock:
            self._faults = [(status, None)] * 1_000_000

    def up(self) -> None:
        with self._lock:
            self._faults.clear()

    def delay(self, seconds: float) -> None:
        self._delay = seconds

    # --- what was asked ------------------------------------------------------------------------------
    def answered(self, method: str, pattern: str = "") -> list[Request]:
        """Requests answered 2xx whose method matches and whose path matches the regular expression."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == method and 200 <= r.status < 300 and re.fullmatch(pattern or ".*", r.path)
            ]

    def issue(self, key: str) -> dict[str, Any]:
        with self._lock:
            return self._issue_json(self.issues[key])

    def status_of(self, key: str) -> str:
        with self._lock:
            return str(self.issues[key]["fields"]["status"]["name"])

    # --- the REST API --------------------------------------------------------------------------------
    def _answer(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if self._delay:
            time.sleep(self._delay)
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        m = re.fullmatch(r"/rest/api/([23])(/.*)", parts.path)
        api, path = (m.group(1), unquote(m.group(2))) if m else ("", parts.path)
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = body.decode("utf-8", "replace")
        with self._lock:
            status, answer, extra = self._route(method, api, path, query, headers, data, body)
            self.requests.append(Request(method, path, query, data, status, api))
            return status, answer, extra

    def _route(
        self,
        method: str,
        api: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        data: Any,
        body: bytes,
    ) -> tuple[int, Any, dict[str, str]]:
        if self._faults:
            status, retry_after = self._faults.pop(0)
            extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            if status == 401:
                return 401, _errors([_NOT_AUTHENTICATED]), _CHALLENGE
            if status == 429:
                extra.setdefault("Retry-After", "30")
                return 429, _errors(["Rate limit exceeded."]), extra
            return status, _errors(["Internal server error"]), extra
        if not self._authorized(headers.get("Authorization") or headers.get("authorization") or ""):
            return 401, _errors([_NOT_AUTHENTICATED]), _CHALLENGE
        if not api:
            return 404, _errors(["Not found"]), {}
        content_type = headers.get("Content-Type") or headers.get("content-type") or ""
        if body and not content_type.startswith("application/json"):
            return 415, _errors(["Unsupported Media Type: send application/json"]), {}
        if method in ("POST", "PUT") and body and not isinstance(data, (dict, list)):
            return 400, _errors(["Unexpected character: the body is not JSON"]), {}
        adf = api == "3"
        if method == "GET" and path == "/myself":
            return 200, self._user_json(self.bot_account), {}
        if method == "GET" and path == "/user":
            account = query.get("accountId", "")
            if account not in self.users:
                return (
                    404,
                    _errors(["Specified user does not exist or you do not have required permissions"]),
                    {},
                )
            return 200, self._user_json(account), {}
        if method == "GET" and path in ("/user/search", "/user") and not self.browse_users:
            return 403, _errors(["You do not have the permission to browse users and groups."]), {}
        if method == "GET" and path == "/user/search":
            return 200, self._search_users(query.get("query") or query.get("username") or ""), {}
        if method == "POST" and path == "/issue":
            return self._create(data, adf)
        if method == "POST" and path in ("/search/jql", "/search"):
            return self._search(data)
        m = re.fullmatch(r"/issue/([^/]+)(/[a-z]+)?", path)
        if not m:
            return 404, _errors([f"No API at {path}"]), {}
        issue = self._find(m.group(1))
        if issue is None:
            return 404, _errors(["Issue does not exist or you do not have permission to see it."]), {}
        sub = m.group(2) or ""
        if method == "GET" and sub == "":
            wanted = [f for f in query.get("fields", "").split(",") if f]
            return 200, self._issue_json(issue, wanted), {}
        if method == "PUT" and sub == "":
            return self._edit(issue, data, adf)
        if method == "PUT" and sub == "/assignee":
            return self._assign(issue, data, adf)
        if method == "GET" and sub == "/transitions":
            return 200, {"expand": "transitions", "transitions": self._transitions(issue)}, {}
        if method == "POST" and sub == "/transitions":
            return self._transition(issue, data)
        if method == "POST" and sub == "/comment":
            return self._comment(issue, data, adf)
        return 405, _errors([f"{method} is not allowed on {path}"]), {}

    def _authorized(self, header: str) -> bool:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except ValueError:
                return False
            return decoded == f"{self.email}:{self.api_token}"
        if scheme.lower() == "bearer" and self.pat is not None:
            return hmac.compare_digest(credentials, self.pat)
        return False

    # --- issues --------------------------------------------------------------------------------------
    def _create(self, data: Any, adf: bool) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
            return 400, _errors(["'fields' is required"]), {}
        fields = data["fields"]
        errors = self._field_errors(fields, adf, creating=True)
        if errors:
            return 400, _errors([], errors), {}
        issue = self._new_issue(fields)
        return (
            201,
            {"id": issue["id"], "key": issue["key"], "self": f"{self.url}/rest/api/3/issue/{issue['id']}"},
            {},
        )

    def _new_issue(self, fields: dict[str, Any], *, status: str = "To Do") -> dict[str, Any]:
        key = f"{fields['project']['key']}-{next(self._numbers)}"
        kind = fields["issuetype"]["name"]
        now = _jira_time()
        stored: dict[str, Any] = {
            "summary": fields["summary"],
            "issuetype": {"id": ISSUE_TYPES[kind], "name": kind},
            "project": {"id": "10000", "key": fields["project"]["key"], "name": "Operations"},
            "description": fields.get("description"),
            "labels": list(fields.get("labels") or []),
            "priority": _priority(((fields.get("priority") or {}).get("name")) or "Medium"),
            "duedate": fields.get("duedate"),
            "assignee": self._user_json(self._who(fields["assignee"])) if fields.get("assignee") else None,
            "reporter": self._user_json(self.bot_account),
            "status": _status(status),
            "resolution": None,
            "created": now,
            "updated": now,
        }
        issue = {"id": str(next(self._ids)), "key": key, "fields": stored, "comments": []}
        self.issues[key] = issue
        return issue

    def _field_errors(self, fields: dict[str, Any], adf: bool, *, creating: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        for name in fields:
            if name not in _ALLOWED_FIELDS:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )
        if creating:
            project = fields.get("project")
            if not isinstance(project, dict) or project.get("key") != self.project:
                errors["project"] = "Specify a valid project ID or key"
            issuetype = fields.get("issuetype")
            if not isinstance(issuetype, dict) or issuetype.get("name") not in ISSUE_TYPES:
                errors["issuetype"] = "Specify an issue type"
            if "summary" not in fields:
                errors["summary"] = "You must specify a summary of the issue."
        if "summary" in fields:
            summary = fields["summary"]
            if not isinstance(summary, str) or not summary.strip():
                errors["summary"] = "You must specify a summary of the issue."
            elif len(summary) > 255:
                errors["summary"] = "Summary must be less than 255 characters."
            elif "\n" in summary or "\r" in summary:
                errors["summary"] = "The summary is invalid because it contains newline characters."
        if "description" in fields and fields["description"] is not None:
            problem = _document_problem(fields["description"]) if adf else None
            if not adf and not isinstance(fields["description"], str):
                problem = "Operation value must be a string"
            if problem:
                errors["description"] = problem
        if "labels" in fields:
            labels = fields["labels"]
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                errors["labels"] = "Operation value must be an array of strings"
            elif any(not x or " " in x or len(x) > 255 for x in labels):
                errors["labels"] = "The label can't contain spaces."
        if "priority" in fields:
            priority = fields["priority"]
            if not isinstance(priority, dict) or (
                priority.get("name") not in PRIORITIES and priority.get("id") not in PRIORITIES.values()
            ):
                errors["priority"] = "Specify the Priority (id or name) in the string format"
        if "duedate" in fields and fields["duedate"] is not None:
            due = fields["duedate"]
            try:
                ok = isinstance(due, str) and date.fromisoformat(due).isoformat() == due
            except ValueError:
                ok = False
            if not ok:
                errors["duedate"] = "Error parsing date string: " + str(due)[:40]
        if "assignee" in fields and fields["assignee"] is not None:
            assignee = fields["assignee"]
            if self._who(assignee, adf) is None:
                errors["assignee"] = "Specify a valid value for assignee"
        return errors

    def _edit(self, issue: dict[str, Any], data: Any, adf: bool) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(data, dict) or not isinstance(data.get("fields"), dict) or not data["fields"]:
            return 400, _errors(["Specify 'fields' or 'update' to edit the issue"]), {}
        fields = data["fields"]
        errors = self._field_errors(fields, adf, creating=False)
        for fixed in ("project", "issuetype"):
            if fixed in fields:
                errors[fixed] = f"Field '{fixed}' cannot be changed here."
        if errors:
            return 400, _errors([], errors), {}
        stored = issue["fields"]
        for name, value in fields.items():
            if name == "priority":
                stored[name] = _priority(value.get("name") or _priority_name(value.get("id")))
            elif name == "assignee":
                stored[name] = self._user_json(str(self._who(value))) if value else None
            else:
                stored[name] = value
        stored["updated"] = _jira_time()
        return 204, None, {}

    def _who(self, person: Any, cloud: bool | None = None) -> str | None:
        """The account id of ``{"accountId": ...}`` (Cloud) or ``{"name": ...}`` (Data Center), if known."""
        if not isinstance(person, dict):
            return None
        if cloud is not False and person.get("accountId") in self.users:
            return str(person["accountId"])
        if cloud is not True and person.get("name"):
            return next((a for a, u in self.users.items() if u["name"] == person["name"]), None)
        return None

    def _assign(self, issue: dict[str, Any], data: Any, cloud: bool) -> tuple[int, Any, dict[str, str]]:
        field = "accountId" if cloud else "name"
        if not isinstance(data, dict) or field not in data:
            return 400, _errors([], {field: f"Specify {field}, or null to unassign"}), {}
        account = self._who(data, cloud) if data[field] is not None else None
        if data[field] is not None and account is None:
            return 404, _errors([f"The user '{data[field]}' does not exist."]), {}
        issue["fields"]["assignee"] = self._user_json(account) if account else None
        issue["fields"]["updated"] = _jira_time()
        return 204, None, {}

    def _transitions(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        here = issue["fields"]["status"]["name"]
        return [
            {
                "id": tid,
                "name": name,
                "to": _status(name),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
            }
            for tid, name in TRANSITIONS.items()
            if name != here
        ]

    def _transition(self, issue: dict[str, Any], data: Any) -> tuple[int, Any, dict[str, str]]:
        tid = ((data or {}).get("transition") or {}).get("id") if isinstance(data, dict) else None
        if not isinstance(tid, str):
            return 400, _errors(["Missing 'transition' identifier"]), {}
        if tid not in {t["id"] for t in self._transitions(issue)}:
            return 400, _errors([f"Transition id '{tid}' is not valid for this issue."]), {}
        self._move(issue, TRANSITIONS[tid])
        return 204, None, {}

    def _move(self, issue: dict[str, Any], status: str, resolution: str = "Done") -> None:
        fields = issue["fields"]
        fields["status"] = _status(status)
        done = STATUSES[status][1] == "done"
        fields["resolution"] = {"id": "10000", "name": resolution} if done else None
        fields["updated"] = _jira_time()

    def _comment(self, issue: dict[str, Any], data: Any, adf: bool) -> tuple[int, Any, dict[str, str]]:
        body = data.get("body") if isinstance(data, dict) else None
        problem = _document_problem(body) if adf else (None if isinstance(body, str) else "must be a string")
        if body is None or problem:
            return 400, _errors([], {"comment": problem or "Comment body can not be empty!"}), {}
        comment = {"id": str(next(self._ids)), "body": body, "created": _jira_time()}
        issue["comments"].append(comment)
        return 201, comment, {}

    def _search(self, data: Any) -> tuple[int, Any, dict[str, str]]:
        jql = str((data or {}).get("jql") or "") if isinstance(data, dict) else ""
        m = re.fullmatch(r'\s*labels\s*=\s*"([^"]+)"\s*', jql)
        if not m:
            return 400, _errors([f"Error in the JQL Query: {jql[:60]}"]), {}
        label = m.group(1)
        found = [{"id": i["id"], "key": i["key"]} for i in self._labelled(label)]
        return 200, {"issues": found[: int((data or {}).get("maxResults") or 50)], "isLast": True}, {}

    def _labelled(self, label: str) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if label in i["fields"]["labels"]]

    def _find(self, key_or_id: str) -> dict[str, Any] | None:
        found = self.issues.get(key_or_id.upper())
        return found or next((i for i in self.issues.values() if i["id"] == key_or_id), None)

    def _issue_json(self, issue: dict[str, Any], wanted: list[str] | None = None) -> dict[str, Any]:
        fields = copy.deepcopy(issue["fields"])
        if wanted and "*all" not in wanted:
            fields = {k: v for k, v in fields.items() if k in wanted}
        return {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue["id"],
            "self": f"{self.url}/rest/api/3/issue/{issue['id']}",
            "key": issue["key"],
            "fields": fields,
        }

    def _user_json(self, account: str) -> dict[str, Any]:
        return copy.deepcopy(self.users[account])

    def _search_users(self, query: str) -> list[dict[str, Any]]:
        q = query.strip().lower()
        if not q:
            return []
        return [
            self._user_json(a)
            for a, u in self.users.items()
            if u["emailAddress"].lower() == q or u["displayName"].lower().startswith(q)
        ]

    # --- people changing issues in Jira, and the web hooks that follow ------------------------------
    def change(
        self,
        key: str,
        *,
        secret: str,
        by: str | None = None,
        status: str | None = None,
        resolution: str = "Done",
        assignee: str | None = KEEP,
        duedate: str | None = KEEP,
        at: datetime | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """Change the issue as the person `by` (an account id) does in Jira; the signed hook it causes."""
        with self._lock:
            issue = self.issues[key]
            fields = issue["fields"]
            items: list[dict[str, Any]] = []
            if status is not None:
                before = fields["status"]
                self._move(issue, status, resolution)
                items.append(_item("status", before["id"], before["name"], fields["status"]["id"], status))
            if assignee != KEEP:
                before_user = fields["assignee"] or {}
                fields["assignee"] = self._user_json(assignee) if isinstance(assignee, str) else None
                after_user = fields["assignee"] or {}
                items.append(
                    _item(
                        "assignee",
                        before_user.get("accountId"),
                        before_user.get("displayName"),
                        after_user.get("accountId"),
                        after_user.get("displayName"),
                    )
                )
            if duedate != KEEP:
                old = fields["duedate"]
                fields["duedate"] = duedate
                items.append(
                    _item(
                        "duedate",
                        old,
                        f"{old} 00:00:00.0" if old else None,
                        duedate,
                        f"{duedate} 00:00:00.0" if duedate else None,
                    )
                )
            fields["updated"] = _jira_time(at)
            return self.webhook(key, items, secret=secret, by=by, at=at)

    def webhook(
        self,
        key: str,
        items: list[dict[str, Any]],
        *,
        secret: str,
        by: str | None = None,
        at: datetime | None = None,
        event: str = "jira:issue_updated",
        identifier: str | None = None,
        issue: dict[str, Any] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The hook for `key` as it stands, with the changelog `items`, signed with `secret`."""
        with self._lock:
            shown = issue if issue is not None else self._issue_json(self.issues[key])
            user = self._user_json(by) if by else self._user_json(self.bot_account)
            payload = {
                "timestamp": int((at or datetime.now(UTC)).timestamp() * 1000),
                "webhookEvent": event,
                "issue_event_type_name": "issue_generic",
                "user": {k: user[k] for k in ("self", "accountId", "displayName", "active", "accountType")},
                "issue": shown,
                "changelog": {"id": str(next(self._ids)), "items": items},
            }
            return signed(json.dumps(payload).encode(), secret, identifier or str(next(self._hook_ids)))


def signed(body: bytes, secret: str, identifier: str) -> tuple[bytes, dict[str, str]]:
    """Headers of a Jira Cloud web hook with a secret."""
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Atlassian Webhook HTTP Client",
        "X-Atlassian-Webhook-Identifier": identifier,
        "X-Hub-Signature": signature,
    }


def _item(field: str, old: Any, old_text: Any, new: Any, new_text: Any) -> dict[str, Any]:
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field,
        "from": old,
        "fromString": old_text,
        "to": new,
        "toString": new_text,
    }


def _errors(messages: list[str], errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"errorMessages": messages, "errors": errors or {}}


def _status(name: str) -> dict[str, Any]:
    sid, key, cid, cname, colour = STATUSES[name]
    return {
        "self": f"/rest/api/3/status/{sid}",
        "description": "",
        "iconUrl": "/images/icons/statuses/generic.png",
        "name": name,
        "id": sid,
        "statusCategory": {
            "self": f"/rest/api/3/statuscategory/{cid}",
            "id": cid,
            "key": key,
            "colorName": colour,
            "name": cname,
        },
    }


def _priority(name: str) -> dict[str, Any]:
    return {"self": f"/rest/api/3/priority/{PRIORITIES[name]}", "name": name, "id": PRIORITIES[name]}


def _priority_name(pid: object) -> str:
    return next(n for n, i in PRIORITIES.items() if i == pid)


def _jira_time(at: datetime | None = None) -> str:
    when = (at or datetime.now(UTC)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


_NODE_TYPES = {
    "paragraph",
    "text",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "taskList",
    "taskItem",
    "codeBlock",
    "blockquote",
    "rule",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "panel",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
}


def _document_problem(doc: Any) -> str | None:
    """Why `doc` is not an Atlassian Document Format document (None when it is one)."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    if not isinstance(doc.get("content"), list):
        return "The document's content must be an array"

    def walk(node: Any) -> str | None:
        if not isinstance(node, dict) or node.get("type") not in _NODE_TYPES:
            return f"INVALID_INPUT: unknown node {str(node)[:40]}"
        if node["type"] == "text":
            text = node.get("text")
            return None if isinstance(text, str) and text else "INVALID_INPUT: a text node needs a text"
        for child in node.get("content") or []:
            problem = walk(child)
            if problem:
                return problem
        return None

    for node in doc["content"]:
        problem = walk(node)
        if problem:
            return problem
    return None
