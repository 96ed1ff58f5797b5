"""Synthetic fixture sites for the offline test run: `requests` answers a few real host names from files.

The week 1 notebooks fetch real addresses (`Website("https://huggingface.co")`, then links a model
picks). In the test run their kernels get the made-up pages in `tests/fixtures/sites/` instead
(each says so in an HTML comment), with no network: `install()` patches `requests`' transport (`HTTPAdapter.send`) so that

- a fixture host (a folder `tests/fixtures/sites/<host>/`) is answered from `<path>.html`
  (`/` -> `index.html`), with real status codes and headers; an unknown path answers 404;
- a host in `redirects.json` answers 301 to its target (path kept);
- loopback hosts (the embedded model server, test servers) go through untouched;
- every other host raises `requests.ConnectionError`: nothing can leak to the internet;

and replaces `llmcourse.web.resolve_host`, so the URL policy sees fixture hosts resolve to a
public address (as on the real internet) and any other name fail DNS.

The notebook kernels get this from `tests/ipython/profile_default/startup/00_fixture_sites.py`
when `LLMCOURSE_FIXTURE_SITES` is set; notebooks never mention it.

Example:
    >>> from tests import sites
    >>> undo = sites.install()
    >>> from llmcourse.web import Website
    >>> Website("https://huggingface.co").title
    'Hugging Face - The AI community building the future.'
    >>> undo()
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from llmcourse import web

__all__ = ["PUBLIC_ADDRESS", "SITES_DIR", "FixtureSites", "install"]

SITES_DIR = Path(__file__).resolve().parent / "fixtures" / "sites"
# A public address (example.com's long-time one): the URL policy treats fixture hosts like internet hosts.
# Nothing ever connects to it: the patched transport answers fixture hosts itself.
PUBLIC_ADDRESS = "93.184.216.34"

_NOT_FOUND = (
    "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
    "<p>The page you are looking for does not exist.</p>"
    "<!-- Test fixture: there is no page {path} on {host} in tests/fixtures/sites. --></body></html>"
)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class FixtureSites:
    """The synthetic sites in a folder: which hosts exist, and the answer to a GET of a URL.

    Example:
        >>> status, headers, body = FixtureSites().answer("https://huggingface.co/models")
        >>> status, headers["Content-Type"]
        (200, 'text/html; charset=utf-8')
    """

    def __init__(self, root: str | Path = SITES_DIR) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"no fixture sites folder at {self.root}")
        self.hosts = {path.name for path in self.root.iterdir() if path.is_dir()}
        redirects = self.root / "redirects.json"
        self.redirects: dict[str, str] = json.loads(redirects.read_text()) if redirects.is_file() else {}

    def knows(self, host: str) -> bool:
        """True when `host` is a fixture site or redirects to one."""
        return host in self.hosts or host in self.redirects

    def _page(self, host: str, path: str) -> Path | None:
        site = self.root / host
        name = path.strip("/") or "index"
        for candidate in (site / f"{name}.html", site / name / "index.html"):
            resolved = candidate.resolve()
            # Never serve a file outside the site's folder ("/../../etc/passwd").
            if resolved.is_file() and resolved.is_relative_to(site):
                return resolved
        return None

    def answer(self, url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for `url`: the page, a 301 to a redirect target, or a 404 page."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if host in self.redirects:
            target = self.redirects[host].rstrip("/") + (parts.path or "/")
            if parts.query:
                target += "?" + parts.query
            return 301, {"Location": target, "Content-Length": "0"}, b""
        page = self._page(host, parts.path)
        if page is None:
            status, body = 404, _NOT_FOUND.format(path=parts.path or "/", host=host).encode()
        else:
            status, body = 200, page.read_bytes()
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
        return status, headers, (b"" if method == "HEAD" else body)

    def respond(self, adapter: HTTPAdapter, request: requests.PreparedRequest) -> requests.Response:
        """A real `requests.Response` (streamable body, headers, status) built by `adapter`."""
        status, headers, body = self.answer(request.url or "", request.method or "GET")
        raw = urllib3.HTTPResponse(
            body=BytesIO(body),
            headers=headers,
            status=status,
            reason={200: "OK", 301: "Moved Permanently", 404: "Not Found"}[status],
            preload_content=False,
            request_method=request.method,
            request_url=request.url,
        )
        return adapter.build_response(request, raw)


def install(root: str | Path = SITES_DIR) -> Callable[[], None]:
    """Serve the fixture sites to `requests`, block other non-loopback hosts; return a function that undoes it.

    Example:
        >>> undo = install()
        >>> requests.get("https://huggingface.co/nope", timeout=5).status_code
        404
        >>> undo()
    """
    sites = FixtureSites(root)
    original_send = HTTPAdapter.send
    original_resolve = web.resolve_host

    def send(self: HTTPAdapter, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        host = (urlsplit(request.url or "").hostname or "").lower().rstrip(".")
        if sites.knows(host):
            return sites.respond(self, request)
        if _is_loopback(host):
            return original_send(self, request, **kwargs)
        raise requests.ConnectionError(
            f"offline test run: {host or request.url!r} is not a fixture site ({sites.root}) "
            "and nothing else outside this machine may be reached",
            request=request,
        )

    def resolve_host(host: str) -> list[str]:
        host = host.lower().rstrip(".")
        if sites.knows(host):
            return [PUBLIC_ADDRESS]
        if _is_loopback(host):
            return original_resolve(host)
        raise socket.gaierror(socket.EAI_NONAME, f"offline test run: {host!r} is not a fixture site")

    HTTPAdapter.send = send  # type: ignore[method-assign]
    web.resolve_host = resolve_host

    def undo() -> None:
        HTTPAdapter.send = original_send  # type: ignore[method-assign]
        web.resolve_host = original_resolve

    return undo
