"""Which webhook URLs we call: http(s) to public internet addresses only.

An address is refused when the `ipaddress` module does not call it global, or calls it
loopback, private, link-local, multicast, reserved or unspecified (CGNAT's 100.64.0.0/10 is
not global); and so is an IPv6 address that carries such an IPv4 address inside it
(IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo). The operator may allow networks
with WEBHOOK_ALLOW_NETWORKS (comma-separated CIDRs, e.g. a partner's VPN).

The host is resolved when a webhook is created and again at every delivery; every address
it resolves to must pass, and the delivery connects to the address that was checked (no second
lookup that DNS rebinding could change).
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog"})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack...
    "fd00:ec2::254",    # AWS IPv6
    "100.100.100.200",  # Alibaba Cloud
    "169.254.170.2",    # AWS ECS task metadata
))
# RFC 6052's well-known NAT64 prefix: the ipaddress module has no property for it, and a
# NAT64 gateway would carry 64:ff9b::a9fe:a9fe to 169.254.169.254.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Checked in this order, so the message names the most telling property.
_PROPERTIES = (("is_unspecified", "an unspecified address"), ("is_loopback", "a loopback address"),
               ("is_link_local", "a link-local address"), ("is_multicast", "a multicast address"),
               ("is_private", "a private address"), ("is_reserved", "a reserved address"))


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


def judged(address: IPAddress) -> Iterator[IPAddress]:
    """The addresses that decide: an IPv4-mapped or NAT64 address is its IPv4 address (a
    DNS64 network gives public hosts 64:ff9b:: addresses); 6to4 and Teredo addresses are
    themselves and the IPv4 addresses they carry."""
    if isinstance(address, ipaddress.IPv4Address):
        yield address
        return
    if address.ipv4_mapped is not None:
        yield address.ipv4_mapped
        return
    if address in NAT64:
        yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return
    yield address
    if address.sixtofour is not None:
        yield address.sixtofour
    if address.teredo is not None:
        yield from address.teredo  # (server, client)


def address_problem(text: str, allowed: Iterable[Network] = ()) -> str | None:
    """Why we refuse to connect to this address, or None."""
    address: IPAddress = ipaddress.ip_address(text.split("%", 1)[0])
    views = list(judged(address))
    allowed = tuple(allowed)
    if any(view in network for view in views for network in allowed
           if view.version == network.version):
        return None
    for view in views:
        name = text if view == address else f"{text} (which carries {view})"
        if view in METADATA_ADDRESSES:
            return f"{name} is a cloud metadata address"
        for attribute, words in _PROPERTIES:
            if getattr(view, attribute):
                return f"{name} is {words}"
        if not view.is_global:
            return f"{name} is not a public internet address"
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


def check(url: str, *, allowed: Iterable[Network] = ()) -> Target:
    """Parse, resolve and vet a URL; -> where to connect. Raises UrlRefused."""
    scheme, host, port, path = parse(url)
    allowed = tuple(allowed)
    if host in METADATA_HOSTS:
        raise UrlRefused(f"{host} is a cloud metadata host")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise UrlRefused(f"host {host} does not resolve") from None
    if not addresses:
        raise UrlRefused(f"host {host} does not resolve")
    for address in addresses:
        problem = address_problem(address, allowed)
        if problem is not None:
            # A name's addresses are not echoed: they would map the inside's DNS.
            why = problem if address == host else \
                f"{host} resolves to {problem.split(' is ', 1)[1]}"
            raise UrlRefused(f"{why}; only public internet addresses are allowed unless the "
                             "server's WEBHOOK_ALLOW_NETWORKS allows it")
    return Target(scheme, host, port, path, addresses[0])
