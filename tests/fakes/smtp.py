"""A real SMTP server on loopback (aiosmtpd) that keeps and parses every message it accepts.

`fail_with(code, times)` answers the next RCPT TO commands with that reply (451: try again later; 550: no
such mailbox); `stop()` / `start()` take the server away (connections refused) and bring it back on the
same port, like an outage.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

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


class SmtpServer:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
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
        return "250 Message accepted for delivery"

    # --- control ------------------------------------------------------------------------------------
    def fail_with(self, code: int, *, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([code] * times)

    def start(self) -> None:
        self._controller = Controller(self, hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def settings(self) -> dict[str, Any]:
        return {"smtp_host": self.host, "smtp_port": self.port, "smtp_security": "none"}
