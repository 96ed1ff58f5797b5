"""Hardening of llmcourse.web against hostile URLs, DNS and servers (all on 127.0.0.1, nothing leaves the machine).

- URL policy: one parser for the check and the fetch (backslashes, %, controls, IDNA), IPv6 addresses
  that carry an IPv4 address (6to4, NAT64, Teredo, mapped) judged by what they carry;
- DNS: asked once, and the connection goes to the address that was checked. The attacker DNS is a
  fake `socket.getaddrinfo` installed in a subprocess: a public address on the first lookup,
  127.0.0.1 on the next (rebinding);
- deadlines: one wall-clock limit over the whole fetch, however slowly a server trickles its headers
  or body; a header block cut off by the end of the connection is an error, never an empty page;
- decoding and parsing: only the web's own encodings (WHATWG labels), and pages built to make a
  parser slow (deep nesting, many links, unclosed constructs) cost a bounded time.

The misbehaving server is tests/hostile_sites.py. Durations are asserted only as "ended within its
deadline (plus scheduling slack)" against attacks that ran for minutes before.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from llmcourse import web
from llmcourse.web import (
    UnsafeURLError,
    Website,
    WebsiteConnectionError,
    WebsiteTimeoutError,
    check_url,
    fetch_pages,
)
from tests.hostile_sites import CAFE, DEEP_TAGS, LINKS, PAGES, HostileServer
from tests.loopback import serving

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = "93.184.216.34"  # a public address: the policy's DNS step sees it for the "internet" hosts below
SLACK_S = 6.0  # scheduling slack on a loaded machine, on top of a deadline


@pytest.fixture(scope="module")
def server():
    with HostileServer() as hostile:
        yield hostile


def public_dns(monkeypatch, *names: str) -> None:
    """The policy's DNS step (the `resolve_host` hook) answers PUBLIC for `names` (or every name)."""
    real = web.resolve_host
    monkeypatch.setattr(web, "resolve_host", lambda host: [PUBLIC] if not names or host in names else real(host))


def teredo(client: str) -> str:
    """A Teredo address (2001::/32) whose client is `client` (stored obfuscated, as the RFC says)."""
    server = int(ipaddress.IPv4Address("65.54.227.120"))
    obfuscated = ~int(ipaddress.IPv4Address(client)) & 0xFFFFFFFF
    return str(
        ipaddress.IPv6Address((0x20010000 << 96) | (server << 64) | (0x8000 << 48) | (0xFFFF << 32) | obfuscated)
    )


# ------------------------------------------------------------------------------ one parser, one host


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1\\x.evil.test/admin",  # urllib3 reads the host as 127.0.0.1, urlsplit does not
        "http://evil.test\\@127.0.0.1/",
        "http://127.0.0.1%2f.evil.test/",
        "http://127.0.0.1%00.evil.test/",
        "http://[fe80::1%25eth0]/",  # a zone id
        "http://exa mple.test/",
        "http://127.0.0.1\t.evil.test/",  # urlsplit silently drops tabs and line breaks
        "http://127.0.0.1\n.evil.test/",
        "http://evil\u200b.test/",  # an invisible character
    ],
)
def test_hosts_that_parsers_read_differently_are_refused(monkeypatch, url):
    public_dns(monkeypatch)  # even when the attacker's DNS says the odd name is public
    with pytest.raises(UnsafeURLError) as caught:
        check_url(url)
    reason = caught.value.reason
    assert any(word in reason for word in ("host", "control character", "user@", "not a valid URL")), reason


def test_a_backslash_host_is_never_fetched_nor_connected(monkeypatch, server):
    public_dns(monkeypatch)
    with pytest.raises(UnsafeURLError):
        Website(f"http://127.0.0.1\\x.evil.test:{server.port}/ok", timeout=(1, 1))
    with pytest.raises(UnsafeURLError):
        Website(f"http://127.0.0.1:{server.port}\\x.evil.test/ok", timeout=(1, 1))
    assert server.hits["/ok"] == 0


def test_a_redirect_is_checked_by_the_same_parser(monkeypatch, server):
    """A public-looking site (localhost made public to the DNS step, its address routed back to the
    test server as a NAT would) redirecting to a backslash host: refused at the redirect."""
    hostile = HostileServer(
        extra_routes={
            "/to-backslash": lambda conn, s: conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1\\x.evil.test/admin\r\nContent-Length: 0\r\n\r\n"
            )
        }
    )
    with hostile:
        code = f"""
            import socket, json
            from llmcourse import web
            real = socket.getaddrinfo
            socket.getaddrinfo = lambda host, *a, **k: real("127.0.0.1" if host == "{PUBLIC}" else host, *a, **k)
            web.resolve_host = lambda host: ["{PUBLIC}"]
            try:
                web.Website("http://localhost:{hostile.port}/to-backslash", timeout=(2, 2))
                print(json.dumps("fetched"))
            except web.WebsiteError as error:
                print(json.dumps(type(error).__name__ + ": " + str(error)))
        """
        outcome = run_python(code)
        assert outcome.startswith("UnsafeURLError") and "127.0.0.1\\\\x.evil.test" in outcome, outcome
        assert hostile.hits["/to-backslash"] == 1 and hostile.hits["/admin"] == 0


def test_international_names_are_checked_and_fetched_in_one_form(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(web, "resolve_host", lambda host: asked.append(host) or [PUBLIC])
    # UTS46 (what browsers and requests use) keeps the sharp s: evilß.test is xn--evil-yna.test, not evilss.test.
    assert check_url("http://evilß.test/page") == "http://xn--evil-yna.test/page"
    assert asked == ["xn--evil-yna.test"]
    # Full-width characters map to ASCII: an address written in them is that address.
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/")
    assert (
        check_url("http://\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com/", allow_private=True) == "http://example.com/"
    )
    with pytest.raises(UnsafeURLError, match="international domain name"):
        check_url("http://snow\u2603man.test/", allow_private=True)


def test_the_fetch_sends_the_checked_name(server):
    """The Host header is the one encoded name: the fetch requests what the check approved."""
    code = f"""
        import socket, json
        real = socket.getaddrinfo
        socket.getaddrinfo = lambda host, *a, **k: real("127.0.0.1" if host == "xn--evil-yna.test" else host, *a, **k)
        from llmcourse.web import Website
        page = Website("http://evilß.test:{server.port}/ok", allow_private=True, timeout=(2, 2))
        print(json.dumps([page.url, page.title]))
    """
    assert run_python(code) == [f"http://xn--evil-yna.test:{server.port}/ok", "Hostile"]
    assert f"xn--evil-yna.test:{server.port}" in server.hosts


@pytest.mark.parametrize(
    ("address", "carried", "reason"),
    [
        ("2002:7f00:1::", "127.0.0.1", "loopback"),  # 6to4
        ("2002:a9fe:a9fe::1", "169.254.169.254", "link-local"),
        ("64:ff9b::7f00:1", "127.0.0.1", "loopback"),  # NAT64 (RFC 6052)
        ("64:ff9b::a9fe:a9fe", "169.254.169.254", "link-local"),
        ("64:ff9b::c0a8:101", "192.168.1.1", "private"),
        (teredo("127.0.0.1"), "127.0.0.1", "loopback"),  # Teredo: the client, de-obfuscated
        (teredo("10.0.0.1"), "10.0.0.1", "private"),
        ("::ffff:127.0.0.1", "127.0.0.1", "loopback"),  # IPv4-mapped
    ],
)
def test_ipv6_addresses_are_judged_by_the_ipv4_address_they_carry(address, carried, reason):
    with pytest.raises(UnsafeURLError) as caught:
        check_url(f"http://[{address}]/")
    assert f"carries {carried}" in caught.value.reason and reason in caught.value.reason


@pytest.mark.parametrize("address", ["2002:5db8:d822::1", "64:ff9b::5db8:d822", teredo(PUBLIC)])
def test_ipv6_addresses_that_carry_a_public_address_pass(address):
    assert check_url(f"http://[{address}]/x") == f"http://[{address}]/x"


def test_local_use_nat64_is_refused():
    with pytest.raises(UnsafeURLError, match="NAT64"):
        check_url("http://[64:ff9b:1::a00:1]/")


# ------------------------------------------------------------------------------ DNS asked once


def run_python(code: str, timeout: float = 60) -> object:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


ATTACKER_DNS = """
    import socket, json
    real = socket.getaddrinfo
    lookups = []
    def attacker_dns(host, *args, **kwargs):
        if host == "rebind.test":
            lookups.append(host)
            answer = {first!r} if len(lookups) == 1 else {then!r}
            return real(answer, *args, **kwargs)
        return real(host, *args, **kwargs)
    socket.getaddrinfo = attacker_dns
    from llmcourse.web import Website, WebsiteError
"""


def test_dns_rebinding_cannot_reach_loopback(server):
    """The check sees a public address; a second lookup would say 127.0.0.1. There is no second lookup."""
    code = (
        ATTACKER_DNS.format(first=PUBLIC, then="127.0.0.1")
        + f"""
    try:
        Website("http://rebind.test:{server.port}/ok", timeout=(1, 1))
        outcome = "fetched"
    except WebsiteError as error:
        outcome = type(error).__name__
    print(json.dumps([outcome, len(lookups)]))
    """
    )
    before = server.hits["/ok"]
    outcome, lookups = run_python(code)
    assert lookups == 1
    assert outcome in ("WebsiteConnectionError", "WebsiteTimeoutError")  # the public address is not reachable here
    assert server.hits["/ok"] == before


def test_the_connection_goes_to_the_checked_address_with_the_name_kept(server):
    """The check's one lookup says PUBLIC (routed to the test server here, as a NAT would); a second lookup
    would say 203.0.113.7. The page comes through PUBLIC, with the name as Host header."""
    code = (
        ATTACKER_DNS.format(first=PUBLIC, then="203.0.113.7")
        + f"""
    socket.getaddrinfo = lambda host, *a, **k: attacker_dns("127.0.0.1" if host == "{PUBLIC}" else host, *a, **k)
    page = Website("http://rebind.test:{server.port}/ok", timeout=(2, 2))
    print(json.dumps([page.title, page.url, len(lookups)]))
    """
    )
    assert run_python(code) == ["Hostile", f"http://rebind.test:{server.port}/ok", 1]
    assert f"rebind.test:{server.port}" in server.hosts


def test_dns_that_never_answers_is_bounded_by_the_deadline(monkeypatch):
    monkeypatch.setattr(web, "resolve_host", lambda host: time.sleep(30) or [PUBLIC])
    started = time.monotonic()
    with pytest.raises(WebsiteTimeoutError, match="DNS"):
        Website("http://slow-dns.test/", timeout=(1, 1))
    assert time.monotonic() - started < 3 + SLACK_S


# --------------------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize("path", ["/trickle-body", "/trickle-close-delimited", "/trickle-headers"])
def test_a_trickling_server_cannot_outlast_the_deadline(server, path):
    """A byte every 0.25 s never trips a 1 s read timeout; the whole-fetch deadline (1 + 2 x 1 s) does."""
    started = time.monotonic()
    with pytest.raises(WebsiteTimeoutError, match="within 3 s"):
        Website(server.url + path, timeout=(1, 1), allow_private=True)
    assert time.monotonic() - started < 3 + SLACK_S


def test_fetch_pages_keeps_the_deadline_per_page(server):
    started = time.monotonic()
    results = fetch_pages(
        [server.url + "/trickle-headers", server.url + "/ok", server.url + "/trickle-body"],
        timeout=(1, 1),
        allow_private=True,
    )
    assert [type(r.error).__name__ if r.error else r.website.title for r in results] == [
        "WebsiteTimeoutError",
        "Hostile",
        "WebsiteTimeoutError",
    ]
    assert time.monotonic() - started < 3 + SLACK_S


def test_a_cut_header_block_is_an_error_not_an_empty_page(server):
    with pytest.raises(WebsiteConnectionError, match="middle of the HTTP headers"):
        Website(server.url + "/cut-headers", allow_private=True, timeout=(2, 2))


# ------------------------------------------------------------------------------ encodings, parsing


@pytest.mark.parametrize("path", ["/charset-punycode", "/meta-punycode"])
def test_python_only_codecs_are_not_web_encodings(server, path):
    page = Website(server.url + path, allow_private=True)
    assert page.encoding == "utf-8"
    assert CAFE in page.text


def test_utf7_is_not_decoded(server):
    page = Website(server.url + "/charset-utf7", allow_private=True)
    assert page.encoding == "utf-8" and "+ADw-b+AD4-bold" in page.text and "<b>" not in page.text


@pytest.mark.parametrize(
    ("path", "encoding", "text"),
    [
        ("/charset-latin1", "windows-1252", CAFE),  # WHATWG: latin1 is windows-1252 (the curly quotes survive)
        ("/charset-x-sjis", "shift_jis", "\u65e5\u672c\u8a9e"),
    ],
)
def test_whatwg_labels_name_their_encodings(server, path, encoding, text):
    page = Website(server.url + path, allow_private=True)
    assert (page.encoding, page.text) == (encoding, text)


def test_a_deeply_nested_page_is_read_up_to_the_tag_budget(server):
    assert DEEP_TAGS > 50_000
    page = Website(server.url + "/deep", allow_private=True, timeout=(5, 30))
    assert page.title == "Deep"
    assert page.text.startswith("start\n") and "deep text" not in page.text  # it lies past the budget
    assert page.text.endswith("[... page cut: only its first 50,000 tags were read]")


def test_a_link_heavy_page_gives_a_bounded_list(server):
    page = Website(server.url + "/links", allow_private=True, timeout=(5, 30))
    assert 20_000 < len(page.links) <= 25_000 < LINKS  # one '<a>' and one '</a>' per link: 50,000 '<' read
    assert page.links[0] == server.url + "/p0"


@pytest.mark.parametrize("path", ["/open-comments", "/open-attributes", "/void-then-ends"])
def test_constructs_that_make_html_parser_quadratic_parse_in_linear_time(server, path):
    """Python's own html.parser takes minutes on these (before 3.11.13); lxml reads them at once."""
    started = time.monotonic()
    page = Website(server.url + path, allow_private=True, timeout=(5, 10))
    assert page.text.startswith("start")
    assert time.monotonic() - started < 25 + SLACK_S  # the deadline; minutes before


def test_the_hostile_pages_fit_the_size_cap():
    assert all(len(body) < web.DEFAULT_MAX_BYTES for _, body in PAGES.values())


# ------------------------------------------------------------------------------------------ TLS


def _certificates(folder: Path, host: str) -> tuple[Path, Path, Path]:
    """A throw-away CA and a certificate for `host` signed by it: (ca.pem, cert.pem, key.pem)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hardening test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def test_https_to_the_pinned_address_keeps_the_name_for_sni_and_the_certificate(tmp_path):
    """The connection goes to the checked address (PUBLIC, routed to a loopback TLS server as a NAT would),
    yet the TLS handshake sends the name (SNI) and verifies the certificate against it: a certificate
    for the name only (none for any IP address) is accepted."""
    import ssl
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    ca, cert, key = _certificates(tmp_path, "pinned.test")
    names: list[str | None] = []

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"<html><title>TLS for {self.headers['Host']}</title><body>ok</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        port = server.server_address[1]
        code = f"""
            import json, os, socket
            from llmcourse import web
            os.environ["REQUESTS_CA_BUNDLE"] = os.environ["CURL_CA_BUNDLE"] = {str(ca)!r}  # trust the test CA
            real = socket.getaddrinfo
            socket.getaddrinfo = lambda host, *a, **k: real("127.0.0.1" if host == "{PUBLIC}" else host, *a, **k)
            web.resolve_host = lambda host: ["{PUBLIC}"] if host == "pinned.test" else []
            page = web.Website("https://pinned.test:{port}/", timeout=(3, 3))
            print(json.dumps([page.title, page.url]))
        """
        assert run_python(code) == [f"TLS for pinned.test:{port}", f"https://pinned.test:{port}/"]
        assert names == ["pinned.test"]


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
