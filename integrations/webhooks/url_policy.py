"""Which URLs a webhook may be sent to: https only, and not into our own network.

A webhook URL is chosen by an admin but fetched by our servers, the classic server-side request
forgery shape: an endpoint on 127.0.0.1, 10.0.0.0/8 or the cloud metadata address (169.254.169.254)
would let whoever registers it probe what only the server can reach. So the host is resolved and
every address it resolves to must be public, at registration and again before each delivery (the
name may be re-pointed later). `allow_private` (WEBHOOKS_ALLOW_PRIVATE) lifts the address rule for
tests and local development; https stays required.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL_CHARS = 2000


class UrlRefused(ValueError):
    """The URL may not receive webhooks; the message says why, for the admin who entered it."""


async def check_url(url: str, allow_private: bool) -> None:
    """Raise UrlRefused unless `url` is https and (unless allowed) resolves only to public addresses."""
    host, port = _https_host(url)
    if allow_private:
        return
    for address in await _resolve(host, port):
        if not _is_public(address):
            raise UrlRefused(f"url: {host} resolves to {address}, a loopback, private or reserved address")


def _https_host(url: str) -> tuple[str, int]:
    if len(url) > MAX_URL_CHARS:
        raise UrlRefused(f"url: at most {MAX_URL_CHARS} characters")
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise UrlRefused("url: must be https")
    if not parts.hostname:
        raise UrlRefused("url: has no host")
    if parts.username or parts.password:
        raise UrlRefused("url: must not carry credentials")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise UrlRefused("url: bad port") from exc
    return parts.hostname, port


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UrlRefused(f"url: {host} does not resolve") from exc
    return sorted({str(info[4][0]) for info in infos})


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
