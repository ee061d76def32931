"""The one settings class. Every variable is listed, with a comment, in `.env.example`.

`load_settings()` validates everything at start and raises `SettingsError` that names each bad variable and
how to fix it; the CLI turns that into one message and exit code 2.
"""

from __future__ import annotations

import functools
import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.timing.durations import PriorityDurations, parse_priority_durations

PLACEHOLDER_MARKERS = ("changeme", "your-", "xxxx", "<", "...")

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsError(Exception):
    """Raised with one line per bad variable: ``NAME: what is wrong; how to fix it``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _durations(spec: str) -> PriorityDurations:
    return dict(_parsed_durations(spec))  # a copy: callers may keep or change it


@functools.lru_cache(maxsize=64)
def _parsed_durations(spec: str) -> tuple[tuple[str, timedelta], ...]:
    return tuple(parse_priority_durations(spec).items())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # --- Slack -----------------------------------------------------------------------------------------
    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_team_id: str | None = None
    slack_channel_rate: float = Field(default=1.0, gt=0)
    # How long a sender holds an outbox message it is about to send; after a crash another replica takes it
    # once the lease runs out. Keep it above the Slack call timeout (10 s) so a slow call is not sent twice.
    outbox_lease_seconds: float = Field(default=60.0, gt=0, le=3600)

    # --- Storage and serving ----------------------------------------------------------------------------
    database_url: str = "sqlite:///remediate.db"
    host: str = "0.0.0.0"  # noqa: S104 - a server is meant to listen on all interfaces
    port: int = Field(default=3000, ge=1, le=65535)
    http_threads: int = Field(default=32, ge=1, le=512)
    # The largest request body accepted (413 above it, decided before the body is read); Slack's own
    # payloads are far smaller.
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=64 * 1024, le=64 * 1024 * 1024)
    # Open client connections at most; past it a new one closes the oldest that has no request running.
    http_max_connections: int = Field(default=1024, ge=16, le=100_000)
    log_level: str = "INFO"
    log_format: str = "text"

    # --- Where and when -------------------------------------------------------------------------------
    incident_channel: str
    incident_channel_per_incident: bool = False
    timezone: str = "UTC"
    digest_time: str = "09:00"
    digest_days: str = "mon-fri"
    quiet_hours: str = "20:00-08:00"
    quiet_weekends: bool = False
    # A digest or weekly report missed while the bot was down is posted late only this long after its time.
    catch_up_grace_minutes: int = Field(default=180, ge=0, le=7 * 24 * 60)

    # --- Remediation rules ------------------------------------------------------------------------------
    deadlines: str = "P0=24h,P1=72h,P2=7d,P3=30d"
    monthly_revenue: float | None = Field(default=None, ge=0)
    allow_self_validation: bool = False
    admin_users: str = ""
    admin_usergroup: str | None = None

    # --- Escalation of overdue remediation items --------------------------------------------------------
    escalation_interval_minutes: int = Field(default=5, ge=1, le=1440)
    escalation_l1_after: str = "P0=4h,P1=12h,P2=48h"
    escalation_l2_after: str = "P0=8h,P1=24h"
    escalation_l3_after: str = "P0=24h"
    escalation_l1: str = ""
    escalation_l2: str = ""
    escalation_l3: str = ""

    # --- Incident clocks --------------------------------------------------------------------------------
    oncall: str = ""
    incident_response: str = "P0=5m,P1=15m,P2=1h,P3=4h"
    incident_update: str = "P0=15m,P1=30m,P2=24h,P3=7d"
    incident_resolution: str = "P0=1h,P1=4h,P2=24h,P3=7d"
    incident_monitoring: str = "P0=24h,P1=8h,P2=4h,P3=1h"
    incident_escalation_l2_after: str = "P0=15m,P1=1h"
    incident_escalation_l3_after: str = "P0=30m,P1=2h"
    incident_escalation_l2: str = ""
    incident_escalation_l3: str = ""

    # --- Public address (links in messages, e-mails and the dashboard) ---------------------------------
    # The bot's own address as people and other services reach it, e.g. https://remediate.example.com; the
    # web hook URLs to give GitHub, Jira, PagerDuty and CI, and the dashboard's links, start with it.
    public_url: str = ""
    # --- GitHub Issues and Jira -------------------------------------------------------------------------
    # GitHub: a fine-grained token (or an installation token) with Issues read/write on the repository;
    # unset: no GitHub sync.
    github_token: SecretStr | None = None
    github_repository: str = ""  # owner/repo, where new issues are created
    github_api_url: str = "https://api.github.com"  # GitHub Enterprise Server: https://HOST/api/v3
    github_webhook_secret: SecretStr | None = None  # the secret of the repository's web hook (/hooks/github)
    # Jira Cloud (REST v3; e-mail + API token) or Data Center (a personal access token, JIRA_EMAIL empty).
    jira_base_url: str = ""  # https://your-site.atlassian.net; unset: no Jira sync
    jira_email: str = ""
    jira_api_token: SecretStr | None = None
    jira_project_key: str = ""
    jira_issue_type: str = "Task"
    jira_webhook_secret: SecretStr | None = None  # the secret of the Jira web hook (/hooks/jira)
    # Priorities whose new items get an issue at once (e.g. P0,P1), in TRACKER_DEFAULT when both are set.
    tracker_auto_create: str = ""
    tracker_default: str = ""  # github | jira; needed only when both are configured
    tracker_sync_notes: bool = False  # notes go to the issue as comments

    @field_validator("github_token", "github_webhook_secret", "jira_api_token", "jira_webhook_secret")
    @classmethod
    def _tracker_secrets(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            return None
        _refuse_placeholder(v.get_secret_value())
        return v

    @field_validator("github_repository")
    @classmethod
    def _github_repository(cls, v: str) -> str:
        v = v.strip()
        if v and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}", v):
            raise ValueError("must be owner/repo, such as acme/backend")
        return v

    @field_validator("github_api_url", "jira_base_url")
    @classmethod
    def _tracker_urls(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if v and not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", v):
            raise ValueError("must be an http(s) URL such as https://api.github.com")
        return v

    @field_validator("jira_project_key")
    @classmethod
    def _jira_project(cls, v: str) -> str:
        v = v.strip().upper()
        if v and not re.fullmatch(r"[A-Z][A-Z0-9_]{1,9}", v):
            raise ValueError("must be a Jira project key such as OPS")
        return v

    @field_validator("tracker_auto_create")
    @classmethod
    def _tracker_auto_create(cls, v: str) -> str:
        words = [w.strip().upper() for w in re.split(r"[\s,]+", v) if w.strip()]
        bad = [w for w in words if w not in ("P0", "P1", "P2", "P3")]
        if bad:
            raise ValueError(f"lists priorities P0 to P3 with commas (e.g. P0,P1), not {bad[0]}")
        return ",".join(dict.fromkeys(words))

    @field_validator("tracker_default")
    @classmethod
    def _tracker_default(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in ("", "github", "jira"):
            raise ValueError("must be github or jira")
        return v

    @model_validator(mode="after")
    def _trackers(self) -> Settings:
        problems = []
        if self.github_token is not None and not self.github_repository:
            problems.append("GITHUB_REPOSITORY: is not set; issues need a repository such as acme/backend")
        if self.github_token is None and (self.github_repository or self.github_webhook_secret):
            problems.append("GITHUB_TOKEN: is not set, but GITHUB_REPOSITORY or GITHUB_WEBHOOK_SECRET is")
        if self.jira_base_url:
            if self.jira_api_token is None:
                problems.append("JIRA_API_TOKEN: is not set; Jira needs an API token (or a personal token)")
            if not self.jira_project_key:
                problems.append("JIRA_PROJECT_KEY: is not set; issues need a project such as OPS")
        elif self.jira_api_token is not None or self.jira_project_key or self.jira_webhook_secret:
            problems.append("JIRA_BASE_URL: is not set, but other JIRA_ settings are")
        if self.github_tracker and self.jira_tracker and not self.tracker_default:
            problems.append("TRACKER_DEFAULT: both GitHub and Jira are configured; say which gets new issues")
        if self.tracker_default == "github" and not self.github_tracker:
            problems.append("TRACKER_DEFAULT: is github, but GITHUB_TOKEN is not set")
        if self.tracker_default == "jira" and not self.jira_tracker:
            problems.append("TRACKER_DEFAULT: is jira, but JIRA_BASE_URL is not set")
        if self.tracker_auto_create and not (self.github_tracker or self.jira_tracker):
            problems.append("TRACKER_AUTO_CREATE: is set, but neither GitHub nor Jira is configured")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def github_tracker(self) -> bool:
        return self.github_token is not None

    @property
    def jira_tracker(self) -> bool:
        return bool(self.jira_base_url) and self.jira_api_token is not None

    @property
    def default_tracker(self) -> str:
        """Where new issues go: TRACKER_DEFAULT, or the one tracker configured ("" for none)."""
        if self.tracker_default:
            return self.tracker_default
        return "github" if self.github_tracker else "jira" if self.jira_tracker else ""

    @property
    def tracker_auto_priorities(self) -> frozenset[str]:
        return frozenset(w for w in self.tracker_auto_create.split(",") if w)

    # --- CI evidence ------------------------------------------------------------------------------------
    # The secret CI signs its test reports with (POST /hooks/ci, `remediate ci report`); unset: no CI hook.
    ci_webhook_secret: SecretStr | None = None
    # Priorities CI may validate by itself once every criterion passed (e.g. "P3" or "P2,P3"); others wait
    # for a person.
    ci_auto_validate: str = ""

    @field_validator("ci_webhook_secret")
    @classmethod
    def _ci_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            _refuse_placeholder(v.get_secret_value())
            if len(v.get_secret_value()) < 16:
                raise ValueError("must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)")
        return v

    @field_validator("ci_auto_validate")
    @classmethod
    def _ci_auto_validate(cls, v: str) -> str:
        words = [w.strip().upper() for w in v.replace(" ", ",").split(",") if w.strip()]
        bad = [w for w in words if w not in ("P0", "P1", "P2", "P3")]
        if bad:
            raise ValueError(f"lists priorities P0 to P3 with commas (e.g. P3 or P2,P3), not {bad[0]}")
        return ",".join(dict.fromkeys(words))

    @property
    def ci_auto_validate_priorities(self) -> frozenset[str]:
        return frozenset(w for w in self.ci_auto_validate.split(",") if w)

    # --- Web dashboard ----------------------------------------------------------------------------------
    # The public base URL the dashboard is reached at (its pages are under /dashboard there); unset:
    # PUBLIC_URL; neither: no dashboard (its pages answer 404; `/remediate dashboard` says it is not set up).
    dashboard_url: str = ""
    # How long a sign-in lasts, in hours.
    dashboard_session_hours: float = Field(default=12, gt=0, le=24 * 31)
    # Who may open it: these users (ids or <@mentions>) and the members of this usergroup; both unset: every
    # member of the workspace.
    dashboard_users: str = ""
    dashboard_usergroup: str | None = None
    # Business value protected, (hourly revenue x hours saved) - remediation cost: the downtime a validated
    # fix is credited with avoiding, by priority (e.g. P0=8h,P1=4h), and what one fix costs in dollars.
    # Hourly revenue is MONTHLY_REVENUE / 730. Unset: the panel says "not configured".
    dashboard_hours_saved: str = ""
    dashboard_remediation_cost: float = Field(default=0.0, ge=0)

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_url(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if v and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", v):
            raise ValueError("must be an http:// or https:// address such as https://remediate.example.com")
        return v

    @field_validator("dashboard_hours_saved")
    @classmethod
    def _dashboard_hours_saved(cls, v: str) -> str:
        if v.strip():
            _durations(v)
        return v

    @property
    def dashboard_base(self) -> str:
        """The dashboard's address without a trailing slash (…/dashboard), or "" when it is not set up."""
        base = (self.dashboard_url or self.public_url).strip().rstrip("/")
        if not base:
            return ""
        return base if base.endswith("/dashboard") else base + "/dashboard"

    @property
    def dashboard_user_ids(self) -> frozenset[str]:
        return frozenset(m.strip("<@>").split("|")[0] for m in split_mentions(self.dashboard_users))

    @property
    def dashboard_hours_saved_by_priority(self) -> dict[str, float]:
        if not self.dashboard_hours_saved.strip():
            return {}
        return {p: d.total_seconds() / 3600 for p, d in _durations(self.dashboard_hours_saved).items()}

    # --- PagerDuty, e-mail and outbound web hooks -------------------------------------------------------
    # PagerDuty (Events API v2): the integration key of the service pages go to; unset: no PagerDuty.
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    # Which incident severities page PagerDuty when not acknowledged within their initial-response time.
    pagerduty_severities: str = "P0,P1"
    # The signing secret of the PagerDuty V3 webhook subscription (POST /hooks/pagerduty); unset: no hook.
    pagerduty_webhook_secret: SecretStr | None = None
    # Also page Level 2+ escalations of overdue P0 remediation items.
    pagerduty_page_item_escalations: bool = False
    # E-mail (SMTP); unset SMTP_HOST: no e-mail.
    smtp_host: str = ""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)  # default: 587 starttls, 465 tls, 25 none
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_security: str = "starttls"
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    email_from: str = ""
    escalation_l2_emails: str = ""
    escalation_l3_emails: str = ""
    incident_emails: str = ""  # by severity: P0=cto@example.com,ops@example.com;P1=ops@example.com
    weekly_report_emails: str = ""
    digest_emails: str = ""
    # Signed outbound web hooks (CloudEvents 1.0, v0 signature); unset WEBHOOK_URLS: none.
    webhook_urls: str = ""
    webhook_events: str = ""  # empty: every type
    webhook_secret: SecretStr | None = None
    webhook_allow_http: bool = False
    webhook_max_attempts: int = Field(default=12, ge=1, le=100)

    @field_validator("pagerduty_routing_key", "pagerduty_webhook_secret", "smtp_password", "webhook_secret")
    @classmethod
    def _notification_secrets(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            return None
        _refuse_placeholder(v.get_secret_value())
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_length(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)")
        return v

    @field_validator("pagerduty_events_url")
    @classmethod
    def _pagerduty_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError("must be an http(s) URL such as https://events.pagerduty.com/v2/enqueue")
        return v

    @field_validator("pagerduty_severities")
    @classmethod
    def _pagerduty_severities(cls, v: str) -> str:
        words = [w.strip().upper() for w in re.split(r"[\s,]+", v) if w.strip()]
        bad = [w for w in words if w not in ("P0", "P1", "P2", "P3")]
        if bad:
            raise ValueError(f"lists severities P0 to P3 separated by commas (e.g. P0,P1), not {bad[0]}")
        return ",".join(dict.fromkeys(words))

    @field_validator("smtp_security")
    @classmethod
    def _smtp_security(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in ("starttls", "tls", "none"):
            raise ValueError("must be starttls (port 587), tls (port 465) or none (port 25, trusted LAN)")
        return v

    @field_validator("email_from")
    @classmethod
    def _email_from(cls, v: str) -> str:
        if v.strip():
            from email.utils import parseaddr

            if not _EMAIL.fullmatch(parseaddr(v)[1]):
                raise ValueError("must be an address such as remediate@example.com or 'Bot <r@example.com>'")
        return v.strip()

    @field_validator("escalation_l2_emails", "escalation_l3_emails", "weekly_report_emails", "digest_emails")
    @classmethod
    def _email_lists(cls, v: str) -> str:
        return ",".join(parse_emails(v))

    @field_validator("incident_emails")
    @classmethod
    def _incident_emails(cls, v: str) -> str:
        parse_incident_emails(v)
        return v

    @field_validator("webhook_events")
    @classmethod
    def _webhook_events(cls, v: str) -> str:
        # As listed in the README, or as the CloudEvent's `type` names them (com.remediate.item.escalated).
        words = [
            w.strip().lower().removeprefix("com.remediate.") for w in re.split(r"[\s,]+", v) if w.strip()
        ]
        bad = [w for w in words if w not in WEBHOOK_EVENT_TYPES]
        if bad:
            raise ValueError(f"'{bad[0]}' is not an event type; use: {', '.join(WEBHOOK_EVENT_TYPES)}")
        return ",".join(dict.fromkeys(words))

    @field_validator("webhook_urls")
    @classmethod
    def _webhook_urls(cls, v: str) -> str:
        urls = [u.strip() for u in re.split(r"[\s,]+", v) if u.strip()]
        for url in urls:
            if not re.fullmatch(r"https?://[^/\s?#]+(/\S*)?", url):
                raise ValueError(f"'{url}' is not an http(s) URL")
        return ",".join(dict.fromkeys(urls))

    @model_validator(mode="after")
    def _notifications(self) -> Settings:
        problems = []
        mail_lists = {
            "ESCALATION_L2_EMAILS": self.escalation_l2_emails,
            "ESCALATION_L3_EMAILS": self.escalation_l3_emails,
            "INCIDENT_EMAILS": self.incident_emails,
            "WEEKLY_REPORT_EMAILS": self.weekly_report_emails,
            "DIGEST_EMAILS": self.digest_emails,
        }
        if self.smtp_host and not self.email_from:
            problems.append("EMAIL_FROM: is not set; e-mail needs a sender such as remediate@example.com")
        if not self.smtp_host and any(mail_lists.values()):
            named = ", ".join(k for k, val in mail_lists.items() if val)
            problems.append(f"SMTP_HOST: is not set, but {named} name recipients; set it or clear them")
        if self.webhook_urls and self.webhook_secret is None:
            problems.append("WEBHOOK_SECRET: is not set; web hooks are signed (openssl rand -hex 32)")
        from bot.webhooks.urls import refusal

        own_urls = [u for u in (self.public_url, self.dashboard_url) if u]
        for url in self.webhook_url_list:
            why = refusal(
                url, allow_http=self.webhook_allow_http, host=self.host, port=self.port, own_urls=own_urls
            )
            if why:
                problems.append(f"WEBHOOK_URLS: {why}")
        if problems:
            raise ValueError("\n".join(problems))  # one line each, named (see `load_settings`)
        return self

    @property
    def pagerduty_paged_severities(self) -> frozenset[str]:
        return frozenset(w for w in self.pagerduty_severities.split(",") if w)

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or {"starttls": 587, "tls": 465, "none": 25}[self.smtp_security]

    @property
    def incident_email_map(self) -> dict[str, list[str]]:
        return parse_incident_emails(self.incident_emails)

    @property
    def webhook_url_list(self) -> list[str]:
        return [u for u in self.webhook_urls.split(",") if u]

    @property
    def webhook_event_set(self) -> frozenset[str]:
        return frozenset(w for w in self.webhook_events.split(",") if w) or frozenset(WEBHOOK_EVENT_TYPES)

    # ---------------------------------------------------------------------------------------------------
    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        if not raw.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb- (OAuth & Permissions page of your app)")
        _refuse_placeholder(raw)
        return v

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        _refuse_placeholder(raw)
        if len(raw) < 16:
            raise ValueError("looks too short; copy the Signing Secret from Basic Information of your app")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            return None
        raw = v.get_secret_value()
        if not raw.startswith("xapp-"):
            raise ValueError(
                "must be an app-level token starting with xapp- (with connections:write), or unset"
            )
        _refuse_placeholder(raw)
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return v if v.endswith("/") else v + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        if v.startswith("postgres://") or v.startswith("postgresql://"):
            # SQLAlchemy needs the driver named; psycopg 3 is the one installed.
            return "postgresql+psycopg://" + v.split("://", 1)[1]
        if not (v.startswith("sqlite:") or v.startswith("postgresql+psycopg:")):
            raise ValueError("must be sqlite:///path.db or postgresql+psycopg://user:pass@host/db")
        return v

    @field_validator("incident_channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if not re.fullmatch(r"[CG][A-Z0-9]{2,}", v):
            raise ValueError("must be a channel ID such as C0123456789 (channel details > About), not a name")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as UTC or Europe/Berlin") from exc
        return v

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, v: str) -> str:
        parse_clock_time(v)
        return v

    @field_validator("digest_days")
    @classmethod
    def _digest_days(cls, v: str) -> str:
        parse_days(v)
        return v

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        if v.strip().lower() in ("", "off", "none"):
            return ""
        parts = v.split("-")
        if len(parts) != 2:
            raise ValueError("must look like 20:00-08:00, or 'off'")
        parse_clock_time(parts[0])
        parse_clock_time(parts[1])
        return v

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        v = v.upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return v

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, v: str) -> str:
        v = v.lower()
        if v not in ("text", "json"):
            raise ValueError("must be text or json")
        return v

    @field_validator(
        "deadlines",
        "escalation_l1_after",
        "escalation_l2_after",
        "escalation_l3_after",
        "incident_response",
        "incident_update",
        "incident_resolution",
        "incident_monitoring",
        "incident_escalation_l2_after",
        "incident_escalation_l3_after",
    )
    @classmethod
    def _priority_durations(cls, v: str) -> str:
        _durations(v)
        return v

    @model_validator(mode="after")
    def _complete(self) -> Settings:
        missing = [p for p in ("P0", "P1", "P2", "P3") if p not in self.deadline_policy]
        if missing:
            raise ValueError(f"DEADLINES must give every priority a deadline; missing {', '.join(missing)}")
        return self

    # --- typed views of the string settings (parsed once, cheap to call) --------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_clock_time(self) -> time:
        return parse_clock_time(self.digest_time)

    @property
    def digest_weekdays(self) -> tuple[int, ...]:
        return parse_days(self.digest_days)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        if not self.quiet_hours:
            return None
        start, end = self.quiet_hours.split("-")
        return parse_clock_time(start), parse_clock_time(end)

    @property
    def deadline_policy(self) -> PriorityDurations:
        return _durations(self.deadlines)

    @property
    def escalation_thresholds(self) -> dict[int, PriorityDurations]:
        return {
            1: _durations(self.escalation_l1_after),
            2: _durations(self.escalation_l2_after),
            3: _durations(self.escalation_l3_after),
        }

    @property
    def escalation_targets(self) -> dict[int, list[str]]:
        return {
            1: split_mentions(self.escalation_l1),
            2: split_mentions(self.escalation_l2),
            3: split_mentions(self.escalation_l3),
        }

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(split_mentions(self.admin_users))

    @property
    def uses_socket_mode(self) -> bool:
        return self.slack_app_token is not None


def _refuse_placeholder(raw: str) -> None:
    lowered = raw.lower()
    if any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        raise ValueError("still holds the placeholder from .env.example; paste the real value")


def parse_clock_time(text: str) -> time:
    m = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*", text)
    if not m:
        raise ValueError(f"'{text}' is not a time of day; use HH:MM such as 09:00")
    return time(int(m.group(1)), int(m.group(2)))


def parse_days(text: str) -> tuple[int, ...]:
    """``mon-fri`` or ``mon,wed,fri`` -> weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            if a not in _DAY_NAMES or b not in _DAY_NAMES:
                raise ValueError(f"'{part}' is not a day range; use e.g. mon-fri")
            i, j = _DAY_NAMES.index(a), _DAY_NAMES.index(b)
            days.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        elif part in _DAY_NAMES:
            days.add(_DAY_NAMES.index(part))
        else:
            raise ValueError(f"'{part}' is not a day; use mon, tue, wed, thu, fri, sat, sun")
    if not days:
        raise ValueError("names no day; use e.g. mon-fri")
    return tuple(sorted(days))


_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")

# The event types outbound web hooks can receive (WEBHOOK_EVENTS), as in their CloudEvents type
# ``com.remediate.<type>``.
WEBHOOK_EVENT_TYPES = (
    "item.created",
    "item.status_changed",
    "item.escalated",
    "item.acknowledged",
    "item.validated",
    "item.regressed",
    "incident.declared",
    "incident.acknowledged",
    "incident.updated",
    "incident.resolved",
    "incident.closed",
    "digest",
    "weekly_report",
)


def parse_emails(text: str) -> list[str]:
    """``a@example.com, b@example.com`` -> the addresses, each checked."""
    out = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        if not _EMAIL.fullmatch(part):
            raise ValueError(f"'{part}' is not an e-mail address; list addresses separated by commas")
        out.append(part)
    return list(dict.fromkeys(out))


def parse_incident_emails(text: str) -> dict[str, list[str]]:
    """``P0=cto@example.com,ops@example.com;P1=ops@example.com`` -> recipients by severity. An address
    without ``P…=`` goes with the severity named before it."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        if "=" in part:
            sev, _, part = part.partition("=")
            current = sev.strip().upper()
            if current not in ("P0", "P1", "P2", "P3"):
                raise ValueError(f"'{sev}' is not a severity; use P0=cto@example.com;P1=ops@example.com")
            out.setdefault(current, [])
            if not part:
                continue
        if current is None:
            raise ValueError(f"'{part}' has no severity; write P0={part}")
        out[current] += parse_emails(part)
    return {k: list(dict.fromkeys(v)) for k, v in out.items()}


def split_mentions(text: str) -> list[str]:
    """``U123, S456`` -> ["U123", "S456"] (user ids, or user-group ids starting with S)."""
    return [p for p in re.split(r"[\s,]+", text.strip()) if p]


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment (and `.env`), raising SettingsError on any problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "SETTINGS"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = f"is not set; add {name}=... to .env (see .env.example)"
            parts = msg.split("\n")
            if not err["loc"] and all(re.match(r"[A-Z][A-Z0-9_]*: ", p) for p in parts):
                problems.extend(parts)  # a check across settings names each variable itself
                continue
            problems.append(f"{name}: {msg}")
        raise SettingsError(problems) from None
