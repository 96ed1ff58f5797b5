"""The URL policy of `llmcourse.web`: one parser for the check and the fetch, and which addresses are public.

A URL is parsed once (`parse_url`): the host must be a plain DNS name or an IP address after UTS46
encoding (no `\\`, `%`, spaces or control characters, on which URL parsers disagree), so the host a
check approves is exactly the host that is fetched. `addresses` asks DNS once and refuses loopback,
private, link-local, multicast, reserved and unspecified addresses, judging IPv6 addresses that
carry an IPv4 address (IPv4-mapped, 6to4, NAT64, Teredo) by the address they carry. The public
entry point is `llmcourse.web.check_url`.

Example:
    >>> from llmcourse.urlpolicy import parse_url
    >>> parse_url("http://[2002:7f00:1::]/").literal.sixtofour
    IPv4Address('127.0.0.1')
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import idna

from llmcourse.weberrors import HostNotFoundError, UnsafeURLError, WebsiteTimeoutError

__all__ = ["IPAddress", "Resolver", "Target", "addresses", "check", "parse_url", "same_site"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]  # host name -> IP addresses (llmcourse.web.resolve_host)

# A host written only with digits, dots and hex ("2130706433", "0x7f.1", "127.1") is an IPv4 address.
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)
# A plain DNS name once encoded: dot-separated labels of letters, digits, '-' and '_' (63 at most each).
_DNS_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*")
# NAT64 prefixes (RFC 6052, RFC 8215): the well-known one carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # Forms browsers and C libraries also accept: http://2130706433/, http://0x7f000001/, http://127.1/
    if _NUMERIC_HOST.fullmatch(host) and any(ch.isdigit() for ch in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _carried_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, Teredo client, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's own address, de-obfuscated
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _non_public_reason(address: IPAddress) -> str | None:
    carried = _carried_ipv4(address)
    if carried is not None:
        reason = _non_public_reason(carried)
        return f"an address that carries {carried}, {reason}" if reason else None
    if address in _NAT64_LOCAL:
        return "a local-use NAT64 address (it carries an address of a local network)"
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services such as 169.254.169.254 live)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address (a local network)"
    if not address.is_global:
        return "not a public address"
    return None


def _bad_host_character(host: str) -> str | None:
    """A character that no host name has and that URL parsers read differently (\\, %, spaces, controls)."""
    for char in host:
        if char in "\\%" or char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return char
    return None


def _host_of(raw: str, url: str) -> tuple[str, IPAddress | None]:
    """(ASCII host, IP address or None): a plain DNS name after UTS46 encoding, or an IP address."""
    host = raw.removesuffix(".")
    bad = _bad_host_character(host)
    if bad is not None:
        raise UnsafeURLError(
            url,
            f"its host {host!r} contains {bad!r}, which no real host name has "
            "(programs would disagree on which host it means)",
        )
    literal = _ip_literal(host)
    if literal is None and not host.isascii():
        # The one encoding of an international name (UTS46, as browsers and requests do): evilß.test is
        # xn--evil-yna.test, never evilss.test. What is checked below is exactly what is fetched.
        try:
            host = idna.encode(host, uts46=True, std3_rules=True, transitional=False).decode("ascii")
        except idna.IDNAError as exc:
            raise UnsafeURLError(url, f"its host {raw!r} is not a valid international domain name ({exc})") from exc
        literal = _ip_literal(host)  # full-width digits are an IP address too
    if literal is not None:
        return str(literal), literal
    host = host.lower()
    if len(host) > 253 or not _DNS_NAME.fullmatch(host):
        raise UnsafeURLError(url, f"its host {host!r} is not a plain DNS name or IP address")
    return host, None


@dataclass(frozen=True)
class Target:
    """A URL as checked and as fetched: one parse, so the check and the fetch see the same host.

    Example:
        >>> parse_url("HTTPS://Example.COM:8443/a?b#c").host
        'example.com'
    """

    url: str  # absolute, normalised, without #fragment: what check_url returns and what is requested
    scheme: str
    host: str  # ASCII: a DNS name (punycode for international names) or an IP address
    port: int
    literal: IPAddress | None


def parse_url(url: str, base: str | None = None) -> Target:
    """Parse `url` (resolved against `base`) once, the way it will be fetched; refuse what parsers read differently.

    Example:
        >>> parse_url("http://evil\u00df.test/page").url
        'http://xn--evil-yna.test/page'
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError(repr(url), "it is not a URL; pass an address such as 'https://example.com/about'")
    raw = url.strip()
    for text in (raw, base or ""):
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
            raise UnsafeURLError(
                url, "it contains a control character (a tab, a line break...), which real links never hold"
            )
    try:
        absolute = urldefrag(urljoin(base, raw) if base else raw).url
        parts = urlsplit(absolute)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise UnsafeURLError(url, f"it is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            raise UnsafeURLError(url, "it is a relative link: pass base=<the page it came from>")
        raise UnsafeURLError(url, f"only http:// and https:// links are fetched, not {scheme}:")
    if not parts.hostname:
        raise UnsafeURLError(url, "it has no host name")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(url, "it contains 'user@' before the host, a common way to disguise where a link goes")
    host, literal = _host_of(parts.hostname, url)
    shown = f"[{host}]" if isinstance(literal, ipaddress.IPv6Address) else host
    netloc = shown if port is None else f"{shown}:{port}"
    normalised = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    return Target(normalised, scheme, host, port or (443 if scheme == "https" else 80), literal)


def _site(host: str) -> str:
    return host.removeprefix("www.")


def same_site(target: Target, base: Target) -> bool:
    """True when `target` is on `base`'s site: the same host, with or without www., or a subdomain of it.

    Example:
        >>> same_site(parse_url("https://docs.example.com/"), parse_url("https://www.example.com/"))
        True
    """
    if target.literal is not None or base.literal is not None:
        return target.host == base.host
    site, base_site = _site(target.host), _site(base.host)
    # The same host, with or without www., or a subdomain of it (docs.example.com on example.com).
    return site == base_site or site.endswith("." + base_site)


def _resolve_within(host: str, resolve: Resolver, seconds: float | None) -> list[str]:
    """`resolve(host)`, given up after `seconds` (a DNS server that never answers cannot stall a fetch)."""
    if seconds is None:
        return resolve(host)
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["addresses"] = resolve(host)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=run, name="llmcourse-web-dns", daemon=True)
    worker.start()
    worker.join(max(seconds, 0.0))
    if worker.is_alive():
        raise TimeoutError(f"no DNS answer within {seconds:.3g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["addresses"]  # type: ignore[return-value]


def addresses(
    target: Target, url: str, *, resolve: Resolver, check: bool = True, seconds: float | None = None
) -> list[str]:
    """The addresses to connect to for `target` (DNS once, by `resolve`), each checked unless `check` is False.

    Raises `UnsafeURLError` for a non-public address, `HostNotFoundError` when DNS fails, and
    `WebsiteTimeoutError` when DNS does not answer within `seconds`.

    Example:
        >>> addresses(parse_url("http://127.0.0.1:8000/"), "http://127.0.0.1:8000/", resolve=None, check=False)
        ['127.0.0.1']
    """
    if target.literal is not None:
        found: list[tuple[str, IPAddress]] = [(target.host, target.literal)]
    else:
        try:
            answers = _resolve_within(target.host, resolve, seconds)
            found = [(answer, ipaddress.ip_address(answer.split("%")[0])) for answer in answers]
        except TimeoutError as exc:
            raise WebsiteTimeoutError(
                f"The DNS lookup of {target.host} for {url} did not answer in time ({exc}). Try again later.", url=url
            ) from None
        except (OSError, UnicodeError, ValueError) as exc:
            raise HostNotFoundError(
                url,
                f"the host name {target.host!r} does not resolve (DNS: {exc}). Check the spelling, "
                "and that this machine is online",
            ) from None  # the message already carries the DNS error
        if not found:
            raise HostNotFoundError(url, f"the host name {target.host!r} resolves to no address")
    if check:
        for _, address in found:
            reason = _non_public_reason(address)
            if reason is not None:
                where = (
                    f"{target.host} is"
                    if target.literal is not None
                    else f"{target.host} resolves to {address}, which is"
                )
                raise UnsafeURLError(
                    url, f"{where} {reason}. Pass allow_private=True only for servers you run yourself"
                )
    return [answer for answer, _ in found]


def check(url: str, *, base: str | None, same_site_only: bool, allow_private: bool, resolve: Resolver) -> str:
    """`llmcourse.web.check_url`'s rules, with the DNS step done by `resolve` (see there for the rules).

    Example:
        >>> check("/about#team", base="https://www.example.com/", same_site_only=True, allow_private=True,
        ...       resolve=None)
        'https://www.example.com/about'
    """
    target = parse_url(url, base)
    if same_site_only and base:
        base_target = parse_url(base)
        if not same_site(target, base_target):
            raise UnsafeURLError(
                url, f"it leaves the site {base_target.host!r} (pass same_site=False to allow other sites)"
            )
        # Another port on the same host is another server (an admin console, a database...).
        if target.port not in (base_target.port, 80, 443):
            raise UnsafeURLError(
                url, f"it points at port {target.port}, not the site's port (pass same_site=False to allow it)"
            )
    if not allow_private:
        addresses(target, url, resolve=resolve)
    return target.url
