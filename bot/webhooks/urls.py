"""Which WEBHOOK_URLS the bot refuses to post to, decided at start from the settings alone (no DNS lookup).

- Only ``https://``, unless WEBHOOK_ALLOW_HTTP is set (a receiver on the same host or LAN, for local use).
- Never the bot itself: its PUBLIC_URL's host and port, or the address it listens on (HOST and PORT), which
  includes every loopback spelling (``localhost``, ``*.localhost``, ``127.0.0.0/8`` however it is written,
  ``::1``, ``::ffff:127.0.0.1``) and the unspecified address (``0.0.0.0``, ``::``). With HOST=0.0.0.0 the
  bot also answers on the machine's other addresses; those are not known without asking the system, so
  PUBLIC_URL is what names it there.
  Posting events to its own hooks would loop them back in as if a system had sent them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

DEFAULT_PORTS = {"https": 443, "http": 80}
EVERY_INTERFACE = ("", "0.0.0.0", "::")  # noqa: S104 - the wildcard address, compared, never bound


def refusal(url: str, *, allow_http: bool, host: str, port: int, own_urls: Sequence[str] = ()) -> str | None:
    """Why `url` may not receive web hooks (a sentence naming the fix), or None when it may. `host` and
    `port`: where the bot listens; `own_urls`: the addresses it is reached at (PUBLIC_URL, DASHBOARD_URL)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return f"{url} is not an http(s) URL"
    if parts.scheme != "https" and not allow_http:
        return f"{url} is not https:// (set WEBHOOK_ALLOW_HTTP=true only for a receiver on a trusted network)"
    if _is_self(parts, host=host, port=port, own_urls=own_urls):
        return (
            f"{url} is the bot itself (its PUBLIC_URL, or its HOST and PORT); web hooks go to other services"
        )
    return None


def _is_self(parts: SplitResult, *, host: str, port: int, own_urls: Sequence[str]) -> bool:
    target = _host(parts.hostname or "")
    target_port = _port(parts)
    for own_url in own_urls:
        own = urlsplit(own_url.strip())
        if own.hostname and target == _host(own.hostname) and target_port == _port(own):
            return True
    if target_port != port:
        return False
    return target == _host(host) or target in EVERY_INTERFACE or _is_loopback(target)


def _port(parts: SplitResult) -> int:
    try:
        explicit = parts.port
    except ValueError:
        explicit = None
    return explicit or DEFAULT_PORTS.get(parts.scheme, 80)


def _host(name: str) -> str:
    """A host name or address in one spelling: lower case, no trailing dot, an address as ipaddress prints it
    (also the short and hex forms of IPv4 that resolvers accept, such as 127.1 or 0x7f000001)."""
    name = name.strip().strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.inet_aton(name))
        except OSError:
            return name
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _is_loopback(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
