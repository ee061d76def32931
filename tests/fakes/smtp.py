"""A real SMTP server on loopback (aiosmtpd) that keeps and parses every message it accepts.

`fail_with(code, times)` answers the next RCPT TO commands with that reply (451: try again later; 550: no
such mailbox); `stop()` / `start()` take the server away (connections refused) and bring it back on the
same port, like an outage.

`SmtpServer(security="starttls" | "tls", certfile=…, keyfile=…, login=(user, password))` is a submission
server as providers run them: STARTTLS required before anything else (port 587 style) or TLS from the first
byte (465 style), and AUTH (PLAIN / LOGIN) required, only over TLS. `self_signed_certificate(dir)` makes a
certificate for 127.0.0.1 with the openssl command.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import subprocess
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

REPLIES = {
    421: "421 4.3.2 Service shutting down, try again later",
    451: "451 4.3.0 Temporary failure, try again later",
    452: "452 4.2.2 Mailbox full, try again later",
    550: "550 5.1.1 No such user here",
    554: "554 5.7.1 Message refused",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 and localhost (a day long), made with openssl."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class SmtpServer:
    def __init__(
        self,
        *,
        security: str = "none",
        certfile: Path | None = None,
        keyfile: Path | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        assert security in ("none", "starttls", "tls")
        assert security == "none" or (certfile and keyfile), "TLS needs a certificate"
        self.security = security
        self.login = login
        self._tls: ssl.SSLContext | None = None
        if security != "none":
            assert certfile is not None and keyfile is not None
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(str(certfile), str(keyfile))
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.sessions: list[dict[str, Any]] = []  # per accepted message: over TLS?, logged in as
        self.logins: list[tuple[str, bool]] = []  # every AUTH attempt: the user, accepted
        self.refused: list[str] = []
        self._faults: list[int] = []
        self._lock = threading.Lock()
        self.port = _free_port()
        self.host = "127.0.0.1"
        self._controller: Controller | None = None
        self.start()

    # --- aiosmtpd handler hooks ---------------------------------------------------------------------
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            if self._faults:
                code = self._faults.pop(0)
                self.refused.append(address)
                return REPLIES.get(code, f"{code} refused")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self._lock:
            self.messages.append(msg)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
            self.sessions.append(
                {
                    "tls": session.ssl is not None or self.security == "tls",
                    "login": session.auth_data if session.authenticated else None,
                }
            )
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.login is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        )
        with self._lock:
            user = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?"
            self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False, auth_data=user)  # kept as session.auth_data

    # --- control ------------------------------------------------------------------------------------
    def fail_with(self, code: int, *, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([code] * times)

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.security == "starttls":
            options.update(tls_context=self._tls, require_starttls=True)
        elif self.security == "tls":
            options.update(ssl_context=self._tls)
        if self.login is not None:
            # aiosmtpd counts only STARTTLS as TLS; with implicit TLS every byte is encrypted anyway.
            options.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=self.security != "tls"
            )
        self._controller = Controller(self, hostname=self.host, port=self.port, ready_timeout=10, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"smtp_host": self.host, "smtp_port": self.port, "smtp_security": self.security}
        if self.login is not None:
            out.update(smtp_username=self.login[0], smtp_password=self.login[1])
        return out
