"""Which webhook URLs we call: http(s) only, never link-local or cloud metadata addresses.

The host is resolved when a webhook is created and again at every delivery, and the delivery
connects to the address that was checked (no second lookup a DNS rebinding could change).
An admin may allow such addresses per webhook (`allowPrivate`) or for the whole server
(`WEBHOOK_ALLOW_PRIVATE`).
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog"})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack...
    "fd00:ec2::254",    # AWS IPv6
    "100.100.100.200",  # Alibaba Cloud
    "169.254.170.2",    # AWS ECS task metadata
))


class UrlRefused(ValueError):
    """The URL may not be called; the message names why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `address`, send `host_header`, request `path`."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a module function, so tests can stand in DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_problem(text: str) -> str | None:
    """Why we refuse to connect to this address, or None."""
    address: IPAddress = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_unspecified or address.is_multicast:
        return f"{address} is not a unicast address"
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path?query) of an http(s) URL, or UrlRefused."""
    if not isinstance(url, str) or len(url) > 2000:
        raise UrlRefused("must be an http or https URL of at most 2000 characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UrlRefused(f"is not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefused("only http and https URLs are allowed")
    if not parts.hostname:
        raise UrlRefused("has no host")
    if parts.username or parts.password:
        raise UrlRefused("must not carry a user name or password (sign with the secret)")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname.rstrip(".").lower(), port or (443 if scheme == "https"
                                                                  else 80), path


def check(url: str, *, allow_private: bool = False) -> Target:
    """Parse, resolve and vet a URL; -> where to connect. Raises UrlRefused."""
    scheme, host, port, path = parse(url)
    if host in METADATA_HOSTS and not allow_private:
        raise UrlRefused(f"{host} is a cloud metadata host")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise UrlRefused(f"host {host} does not resolve ({error})") from None
    if not addresses:
        raise UrlRefused(f"host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                why = problem if address == host else f"{host} resolves to {problem}"
                raise UrlRefused(why)
    return Target(scheme, host, port, path, addresses[0])
