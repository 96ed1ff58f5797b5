"""Tests for llmcourse.web against a real HTTP server on 127.0.0.1 (ThreadingHTTPServer in a thread).

Every fetch of the loopback server passes allow_private=True explicitly: without it the URL policy
refuses loopback addresses, which one test checks too.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from llmcourse import web
from llmcourse.web import (
    NO_TITLE,
    USER_AGENT,
    HostNotFoundError,
    NotHTMLError,
    PageResult,
    PageTooLargeError,
    TooManyRedirectsError,
    UnsafeURLError,
    Website,
    WebsiteConnectionError,
    WebsiteError,
    WebsiteHTTPError,
    WebsiteTimeoutError,
    check_url,
    fetch_pages,
)
from tests.loopback import serving

HUGE_BYTES = 20_000_000
SLOW_SECONDS = 2.0
DELAY_SECONDS = 0.3

HOME = b"""<!DOCTYPE html><html><head><title>  Home
   page </title><style>.x { color: red }</style><script>var noise = "script noise";</script></head>
<body>
<nav><a href="/about">About</a> <a href="about">About again</a></nav>
<main><h1>Welcome</h1><p>First   paragraph
     with   extra whitespace.</p>

<p>Second&nbsp;paragraph.</p>
<a href="/about#team">About team</a>
<a href="https://example.com/external">External</a>
<a href="mailto:someone@example.com">mail</a><a href="javascript:alert(1)">js</a><a href="tel:+15555550100">tel</a>
<a href="#top">top</a><a href="">empty</a><a href="   ">blank</a><a href="http://[oops">broken</a>
<a href="http://127.0.0.1:8080/admin">admin</a>
<a href="http://169.254.169.254/latest/meta-data/">metadata</a>
</main>
<noscript>noscript noise</noscript><svg><text>svg noise</text></svg><iframe>iframe noise</iframe>
<footer>footer noise <a href="/contact">Contact</a></footer>
<script>console.log("more script noise")</script>
</body></html>"""

CP1252_TEXT = "Caf\u00e9 cr\u00e8me \u2013 \u201cquoted\u201d for 5\u20ac"
SHIFT_JIS_TEXT = "\u65e5\u672c\u8a9e\u306e\u30da\u30fc\u30b8\u3067\u3059"  # "this is a Japanese page"


class LoopbackSite(ThreadingHTTPServer):
    """A real HTTP server with one route per case; it records what clients sent and how much it sent."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.huge_sent = 0
        self.huge_done = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address) -> None:
        pass  # clients that give up (timeouts, size caps) break pipes on purpose


class Handler(BaseHTTPRequestHandler):
    server: LoopbackSite

    def log_message(self, format, *args) -> None:
        pass

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        headers = {"Content-Length": str(len(body)), **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.user_agents.append(self.headers.get("User-Agent", ""))
        route = ROUTES.get(path)
        if route is None and path.startswith("/chain/"):
            route = chain
        if route is None:
            return self.send(404, b"<html><title>404</title><body>nothing here</body></html>")
        route(self)


def chain(h: Handler) -> None:
    step = int(h.path.rsplit("/", 1)[1])
    h.send(302, headers={"Location": f"/chain/{step + 1}"})


def huge(h: Handler) -> None:
    # Close-delimited (no Content-Length), so only the client's own cap can stop it.
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
    sent = 0
    try:
        while sent < HUGE_BYTES:
            h.wfile.write(chunk)
            sent += len(chunk)
    except OSError:
        pass
    finally:
        h.server.huge_sent = sent
        h.server.huge_done.set()


def slow(h: Handler) -> None:
    time.sleep(SLOW_SECONDS)
    try:
        h.send(200, b"<html><title>late</title></html>")
    except OSError:
        pass


def delayed(h: Handler) -> None:
    with h.server.lock:
        h.server.in_flight += 1
        h.server.peak_in_flight = max(h.server.peak_in_flight, h.server.in_flight)
    time.sleep(DELAY_SECONDS)
    with h.server.lock:
        h.server.in_flight -= 1
    h.send(200, f"<html><title>delayed {h.path}</title><body>ok</body></html>".encode())


ROUTES = {
    "/": lambda h: h.send(200, HOME),
    "/no-body": lambda h: h.send(200, b"<html><head><title>Only a head</title></head></html>"),
    "/no-title": lambda h: h.send(200, b"<p>No title here.</p>"),
    "/empty-title": lambda h: h.send(200, b"<html><head><title></title></head><body><p>Body text.</p></body></html>"),
    "/empty": lambda h: h.send(200, b""),
    "/forbidden": lambda h: h.send(
        403, b"<html><title>Just a moment...</title><body>Access denied by the bot wall</body></html>"
    ),
    "/missing": lambda h: h.send(404, b"<html><body>Not found</body></html>"),
    "/error": lambda h: h.send(500, b"<html><body>Internal Server Error</body></html>"),
    "/loop-a": lambda h: h.send(302, headers={"Location": "/loop-b"}),
    "/loop-b": lambda h: h.send(302, headers={"Location": "/loop-a"}),
    "/moved": lambda h: h.send(301, headers={"Location": "/no-title#frag"}),
    "/to-metadata": lambda h: h.send(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
    "/to-loopback": lambda h: h.send(302, headers={"Location": f"{h.server.url}/no-title"}),
    "/slow": slow,
    "/huge": huge,
    "/huge-declared": lambda h: h.send(
        200, b"<p>short body, long declared length</p>", headers={"Content-Length": str(HUGE_BYTES)}
    ),
    "/doc.pdf": lambda h: h.send(200, b"%PDF-1.4\n%binary", content_type="application/pdf"),
    "/data.json": lambda h: h.send(200, b'{"not": "html"}', content_type="application/json"),
    "/image.png": lambda h: h.send(200, b"\x89PNG\r\n\x1a\n", content_type="image/png"),
    "/untyped-pdf": lambda h: h.send(200, b"%PDF-1.4\n%binary", content_type=None),
    "/untyped-html": lambda h: h.send(
        200, b"\n<html><title>Untyped</title><body>fine</body></html>", content_type=None
    ),
    "/xhtml": lambda h: h.send(
        200, b"<html><title>XHTML</title><body>x</body></html>", content_type="application/xhtml+xml"
    ),
    "/cp1252": lambda h: h.send(
        200,
        f"<html><title>{CP1252_TEXT}</title><body><p>{CP1252_TEXT}</p></body></html>".encode("cp1252"),
        content_type="text/html; charset=windows-1252",
    ),
    "/shift-jis": lambda h: h.send(
        200,
        (
            '<html><head><meta charset="shift_jis"><title>'
            + SHIFT_JIS_TEXT
            + "</title></head><body><p>"
            + SHIFT_JIS_TEXT
            + "</p></body></html>"
        ).encode("shift_jis"),
        content_type="text/html",
    ),
    "/bogus-charset": lambda h: h.send(
        200, "<html><body>caf\u00e9</body></html>".encode(), content_type="text/html; charset=no-such-codec"
    ),
    "/with-base": lambda h: h.send(
        200,
        b'<html><head><base href="/docs/"></head><body>'
        b'<a href="intro">Intro</a><a href="../pricing">Pricing</a></body></html>',
    ),
    "/long": lambda h: h.send(200, b"<html><body><p>" + b"word " * 1000 + b"</p></body></html>"),
    "/delayed/1": delayed,
    "/delayed/2": delayed,
    "/delayed/3": delayed,
    "/delayed/4": delayed,
    "/delayed/5": delayed,
    "/delayed/6": delayed,
}


@pytest.fixture(scope="module")
def site():
    server = LoopbackSite()
    with serving(server):
        yield server


def fetch(site: LoopbackSite, path: str, **kwargs) -> Website:
    return Website(site.url + path, allow_private=True, **kwargs)


# ----------------------------------------------------------------------------------- parsing


def test_home_page_title_text_and_links(site):
    page = fetch(site, "/")
    assert page.url == site.url + "/"
    assert page.title == "Home page"
    assert page.text == (
        "Welcome\nFirst paragraph with extra whitespace.\nSecond paragraph.\nAbout team\nExternal\n"
        "mail\njs\ntel\ntop\nempty\nblank\nbroken\nadmin\nmetadata"
    )
    for noise in (
        "script noise",
        "noscript noise",
        "svg noise",
        "iframe noise",
        "footer noise",
        "About again",
        "color",
    ):
        assert noise not in page.text
    assert page.links == [
        site.url + "/about",  # "/about", "about" and "/about#team": one link, fragment stripped
        "https://example.com/external",
        "http://127.0.0.1:8080/admin",
        "http://169.254.169.254/latest/meta-data/",
        site.url + "/contact",  # links in the footer are kept, though its text is noise
    ]
    assert page.for_prompt() == f"Webpage Title:\nHome page\nWebpage Contents:\n{page.text}\n\n"
    assert page.contents == page.for_prompt()
    assert "Home page" in repr(page)


def test_browser_like_user_agent_is_sent(site):
    fetch(site, "/no-title")
    assert site.user_agents[-1] == USER_AGENT
    assert USER_AGENT.startswith("Mozilla/5.0")


@pytest.mark.parametrize(
    ("path", "title", "text"),
    [
        ("/no-body", "Only a head", ""),
        ("/no-title", NO_TITLE, "No title here."),
        ("/empty-title", NO_TITLE, "Body text."),
        ("/empty", NO_TITLE, ""),
    ],
)
def test_missing_parts_never_crash(site, path, title, text):
    page = fetch(site, path)
    assert (page.title, page.text) == (title, text)
    assert page.links == []
    assert page.for_prompt().startswith(f"Webpage Title:\n{title}\n")


def test_text_is_truncated_with_a_visible_marker(site):
    full = fetch(site, "/long", text_budget=None).text
    assert len(full) == len("word " * 1000) - 1
    page = fetch(site, "/long", text_budget=100)
    assert page.text == full[:100] + f"\n[... truncated: {len(full) - 100} more characters]"


def test_windows_1252_from_the_header(site):
    page = fetch(site, "/cp1252")
    assert page.title == CP1252_TEXT
    assert page.text == CP1252_TEXT
    assert page.encoding == "windows-1252"


def test_shift_jis_from_the_meta_tag(site):
    page = fetch(site, "/shift-jis")
    assert page.title == SHIFT_JIS_TEXT
    assert page.text == SHIFT_JIS_TEXT


def test_unknown_charset_in_the_header_falls_back_to_detection(site):
    assert fetch(site, "/bogus-charset").text == "caf\u00e9"


def test_links_resolve_against_the_base_tag(site):
    page = fetch(site, "/with-base")
    assert page.links == [site.url + "/docs/intro", site.url + "/pricing"]


def test_xhtml_and_untyped_html_are_accepted(site):
    assert fetch(site, "/xhtml").title == "XHTML"
    assert fetch(site, "/untyped-html").title == "Untyped"


def test_redirect_is_followed_and_url_is_the_final_one(site):
    page = fetch(site, "/moved")
    assert page.url == site.url + "/no-title"
    assert page.requested_url == site.url + "/moved"
    assert page.text == "No title here."


# ------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("path", "status", "advice"),
    [
        ("/forbidden", 403, "refuses"),
        ("/missing", 404, "no page"),
        ("/error", 500, "server had an error"),
    ],
)
def test_http_errors_are_raised_never_summarised(site, path, status, advice):
    with pytest.raises(WebsiteHTTPError) as caught:
        fetch(site, path)
    assert caught.value.status_code == status
    assert caught.value.url == site.url + path
    assert f"HTTP {status}" in str(caught.value) and advice in str(caught.value)
    assert "Access denied" not in str(caught.value) and "Just a moment" not in str(caught.value)


def test_redirect_loop_gives_a_clear_error(site):
    with pytest.raises(TooManyRedirectsError, match="redirect loop") as caught:
        fetch(site, "/loop-a")
    assert caught.value.chain == [site.url + "/loop-a", site.url + "/loop-b", site.url + "/loop-a"]


def test_redirects_are_capped(site):
    with pytest.raises(TooManyRedirectsError, match=f"more than {web.MAX_REDIRECTS} redirects") as caught:
        fetch(site, "/chain/0")
    assert len(caught.value.chain) == web.MAX_REDIRECTS + 2
    assert site.hits[f"/chain/{web.MAX_REDIRECTS + 1}"] == 0  # the hop past the cap is never requested


def test_slow_server_times_out(site):
    with pytest.raises(WebsiteTimeoutError, match="did not answer within 0.3 s"):
        fetch(site, "/slow", timeout=(1, 0.3))


def test_huge_body_is_refused_while_streaming_with_bounded_memory(site):
    site.huge_done.clear()
    max_bytes = 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(PageTooLargeError) as caught:
            fetch(site, "/huge", max_bytes=max_bytes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.max_bytes == max_bytes
    assert "max_bytes=1,000,000" in str(caught.value)
    assert peak < 4 * max_bytes, f"peak memory {peak:,} bytes while refusing a 20 MB page"
    assert site.huge_done.wait(10)
    assert site.huge_sent < HUGE_BYTES  # the client hung up: the 20 MB were never all sent


def test_declared_huge_length_is_refused_before_reading(site):
    with pytest.raises(PageTooLargeError):
        fetch(site, "/huge-declared", max_bytes=1_000_000)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/doc.pdf", "application/pdf"),
        ("/data.json", "application/json"),
        ("/image.png", "image/png"),
        ("/untyped-pdf", ""),
    ],
)
def test_non_html_content_is_refused(site, path, content_type):
    with pytest.raises(NotHTMLError, match="not an HTML page") as caught:
        fetch(site, path)
    assert caught.value.content_type == content_type


def test_refused_connection_is_a_website_error():
    with LoopbackSite() as closed:  # bound, then closed: nothing listens on that port any more
        url = closed.url
    with pytest.raises(WebsiteConnectionError, match="Could not connect"):
        Website(url, allow_private=True, timeout=2)


def test_bad_arguments_are_rejected_before_fetching(site):
    with pytest.raises(ValueError, match="max_bytes"):
        fetch(site, "/", max_bytes=0)
    with pytest.raises(ValueError, match="text_budget"):
        fetch(site, "/", text_budget=-1)


# -------------------------------------------------------------------------------- URL policy


def test_loopback_is_refused_without_allow_private(site):
    before = site.hits["/"]
    with pytest.raises(UnsafeURLError, match="loopback"):
        Website(site.url + "/")
    assert site.hits["/"] == before  # refused before any request was sent


def test_redirect_to_private_addresses_is_refused(site, monkeypatch):
    """A public site (here: 'localhost' made to look public to the policy's DNS step) redirecting
    to the metadata service or to loopback is refused at the redirect, before any connection.

    The fetch connects to the address the policy checked (93.184.216.34), never to a second DNS
    answer; here that public address is routed to the loopback test server, as a NAT would."""
    real_resolve = web.resolve_host
    monkeypatch.setattr(
        web, "resolve_host", lambda host: ["93.184.216.34"] if host == "localhost" else real_resolve(host)
    )
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *args, **kwargs: real_getaddrinfo(
            "127.0.0.1" if host == "93.184.216.34" else host, *args, **kwargs
        ),
    )
    public_looking = f"http://localhost:{site.server_address[1]}"
    with pytest.raises(UnsafeURLError, match="link-local") as caught:
        Website(public_looking + "/to-metadata")
    assert caught.value.url == "http://169.254.169.254/latest/meta-data/"
    before = site.hits["/no-title"]
    with pytest.raises(UnsafeURLError, match="loopback"):
        Website(public_looking + "/to-loopback")
    assert site.hits["/no-title"] == before
    assert fetch(site, "/to-loopback").title == NO_TITLE  # allowed when the caller says so


def test_links_chosen_by_a_model_are_checked(site):
    page = fetch(site, "/")
    chosen = [
        "/about",
        "http://127.0.0.1:8080/admin",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/external",
        "mailto:someone@example.com",
    ]
    reasons = {}
    for link in chosen:
        try:
            check_url(link, base=page.url)
        except UnsafeURLError as error:
            reasons[link] = error.reason
    # Every one is refused: the first because the page itself is on loopback.
    assert set(reasons) == set(chosen)
    assert "loopback" in reasons["/about"]
    assert "port 8080" in reasons["http://127.0.0.1:8080/admin"]
    assert "leaves the site" in reasons["http://169.254.169.254/latest/meta-data/"]
    assert "leaves the site" in reasons["https://example.com/external"]
    assert "mailto" in reasons["mailto:someone@example.com"]
    # The test server is ours, so the caller may allow private addresses for its own pages.
    assert check_url("/about", base=page.url, allow_private=True) == site.url + "/about"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/admin", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://[::1]:8000/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:a9fe:a9fe]/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/router", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://100.64.0.1/", "not a public address"),
        ("http://localhost:8080/", "resolves to"),
    ],
)
def test_non_public_addresses_are_refused(url, reason):
    with pytest.raises(UnsafeURLError) as caught:
        check_url(url)
    assert reason in caught.value.reason
    assert caught.value.url == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/file", "not ftp:"),
        ("file:///etc/passwd", "not file:"),
        ("javascript:alert(1)", "not javascript:"),
        ("mailto:someone@example.com", "not mailto:"),
        ("/about", "relative link"),
        ("https://", "no host"),
        ("http://example.com:notaport/", "not a valid URL"),
        ("https://huggingface.co@169.254.169.254/", "user@"),
        ("", "not a URL"),
    ],
)
def test_malformed_and_non_web_urls_are_refused(url, reason):
    with pytest.raises(UnsafeURLError) as caught:
        check_url(url)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/about#team", "https://www.example.com/about"),
        ("careers", "https://www.example.com/careers"),
        ("https://example.com/pricing", "https://example.com/pricing"),
        ("HTTPS://WWW.Example.COM/Blog?page=2", "https://www.example.com/Blog?page=2"),
        ("https://docs.example.com/api", "https://docs.example.com/api"),
        ("http://www.example.com/plain-http", "http://www.example.com/plain-http"),
    ],
)
def test_same_site_links_are_accepted_and_normalised(link, expected):
    # allow_private=True skips the DNS step (no DNS here); the same-site rule is what is tested.
    assert check_url(link, base="https://www.example.com/", allow_private=True) == expected


@pytest.mark.parametrize(
    "link",
    [
        "https://example.com.evil.net/",
        "https://evilexample.com/",
        "https://example.org/",
        "https://www.example.com:2375/containers",
    ],
)
def test_other_sites_are_refused_unless_allowed(link):
    with pytest.raises(UnsafeURLError):
        check_url(link, base="https://www.example.com/", allow_private=True)
    assert check_url(link, base="https://www.example.com/", same_site=False, allow_private=True) == link


def test_public_ip_literal_passes_without_dns():
    assert check_url("http://93.184.216.34/page#x") == "http://93.184.216.34/page"


def test_unresolvable_host_is_a_clear_error_not_a_crash():
    with pytest.raises(HostNotFoundError, match="does not resolve") as caught:
        check_url("https://no-such-host.invalid/")
    assert isinstance(caught.value, UnsafeURLError)
    with pytest.raises(HostNotFoundError, match="Cannot fetch"):
        Website("https://no-such-host.invalid/")


# ------------------------------------------------------------------------------- fetch_pages


def test_fetch_pages_keeps_order_and_reports_the_failing_page(site):
    paths = ["/", "/missing", "/cp1252", "/doc.pdf", "/no-title"]
    results = fetch_pages([site.url + p for p in paths], allow_private=True)
    assert [r.url for r in results] == [site.url + p for p in paths]
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert results[0].website.title == "Home page"
    assert results[2].website.text == CP1252_TEXT
    assert results[4].website.title == NO_TITLE
    assert isinstance(results[1].error, WebsiteHTTPError) and results[1].error.status_code == 404
    assert isinstance(results[3].error, NotHTMLError)
    assert all(r.website is None for r in results if not r.ok)


def test_fetch_pages_applies_the_policy_per_page(site):
    results = fetch_pages([site.url + "/no-title", "http://169.254.169.254/latest/meta-data/"])
    assert all(isinstance(r.error, UnsafeURLError) for r in results)


def test_fetch_pages_runs_concurrently_within_the_bound(site):
    site.peak_in_flight = 0
    urls = [f"{site.url}/delayed/{i}" for i in range(1, 7)]
    results = fetch_pages(urls, max_workers=3, allow_private=True)
    assert [r.website.title for r in results] == [f"delayed /delayed/{i}" for i in range(1, 7)]
    assert 2 <= site.peak_in_flight <= 3


def test_fetch_pages_edge_cases():
    assert fetch_pages([]) == []
    with pytest.raises(ValueError, match="max_workers"):
        fetch_pages(["https://example.com/"], max_workers=0)
    assert not PageResult("https://example.com/", error=WebsiteError("down")).ok


def test_session_factory_hook_is_used(site, monkeypatch):
    made: list[requests.Session] = []

    def factory() -> requests.Session:
        session = requests.Session()
        made.append(session)
        return session

    monkeypatch.setattr(web, "session_factory", factory)
    assert fetch(site, "/moved").title == NO_TITLE
    assert len(made) == 1  # one session for the whole fetch, redirects included


def test_a_page_that_is_only_a_url_parses_without_warnings(site):
    # bs4 warns "looks more like a URL than HTML" for such a page; web.py silences that for its own
    # calls. A fresh interpreter with every warning an error shows it (pytest resets the filters).
    ROUTES["/url-only"] = lambda h: h.send(200, b"https://example.com/next")
    code = f"from llmcourse.web import Website; print(Website({site.url + '/url-only'!r}, allow_private=True).text)"
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "https://example.com/next"
