"""Tests for llmcourse.savedpages and its hook in Website: offline, a lesson's own page comes from the course's
saved copy (with a banner and a warning); any other URL, and any HTTP error, still fails."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llmcourse import savedpages, web
from llmcourse.savedpagescli import main as saved_pages_cli
from llmcourse.web import HostNotFoundError, Website, WebsiteConnectionError, WebsiteHTTPError
from tests.loopback import serving, serving_thread

LESSON_URLS = ["https://edwarddonner.com", "https://www.anthropic.com", "https://huggingface.co"]


@pytest.fixture
def no_dns(monkeypatch):
    """DNS fails for every name, as on a plane (the real socket error, through the real resolver hook)."""

    def fail(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(web, "resolve_host", fail)


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/missing":
            self.send_error(404)
            return
        body = (
            b"<html><head><title>Live page</title></head><body><p>Live text one.</p>"
            b"<p>Live text two.</p><a href='/about'>About</a></body></html>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    with serving(httpd):
        yield f"http://127.0.0.1:{httpd.server_address[1]}"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the shipped saved pages, used by Website (so tests can add entries)."""
    folder = tmp_path / "savedpages"
    shutil.copytree(savedpages.DATA_DIR, folder)
    monkeypatch.setattr(savedpages, "DATA_DIR", folder)
    return folder


def _add_entry(folder, url: str, *, copy_allowed: bool, kind: str = "stand-in") -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    name = f"page{len(manifest['pages'])}.html"
    (folder / name).write_text("<html><head><title>Saved</title></head><body><p>Saved text.</p></body></html>")
    manifest["pages"].append(
        {"url": url, "file": name, "saved": "2026-01-02", "kind": kind, "copy_allowed": copy_allowed}
    )
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_every_lesson_url_has_a_small_saved_page_inside_the_package():
    for url in LESSON_URLS:
        page = savedpages.lookup(url)
        assert page is not None, url
        assert page.file.is_file() and page.file.parent == savedpages.DATA_DIR
        assert page.file.stat().st_size < 10_000
        dt.date.fromisoformat(page.saved)
        # Honest: what is not a copy of the live page says so, in the page and in the banner.
        if page.kind == "stand-in":
            assert "stand-in written for the course" in page.body().decode()
            assert "not a copy of the real page" in page.banner()


@pytest.mark.parametrize("url", LESSON_URLS)
def test_offline_a_lesson_page_comes_from_the_saved_copy_with_a_banner_and_a_warning(no_dns, url):
    with pytest.warns(UserWarning, match="You are offline"):
        page = Website(url)
    saved = savedpages.lookup(url)
    assert page.url == saved.url
    assert page.text.startswith(f"[Offline stand-in for {saved.url}, written for the course on {saved.saved}")
    assert "you are offline" in page.text.splitlines()[0]
    assert len(page.text) > 300 and page.title != web.NO_TITLE
    assert page.links and all(link.startswith(saved.url) for link in page.links)


def test_offline_a_redirecting_alias_finds_the_saved_page(no_dns):
    with pytest.warns(UserWarning):
        assert Website("https://anthropic.com/").url == "https://www.anthropic.com/"


@pytest.mark.parametrize("url", ["https://edwarddonner.com/no-such-page", "https://example.com/"])
def test_offline_any_other_url_still_fails_clearly(no_dns, url):
    with pytest.raises(HostNotFoundError, match="does not resolve.*online"):
        Website(url)


def test_saved_copy_false_turns_the_fallback_off(no_dns):
    with pytest.raises(HostNotFoundError):
        Website("https://edwarddonner.com", saved_copy=False)


def test_no_route_also_uses_the_saved_page(data_dir):
    url = f"http://127.0.0.1:{_closed_port()}/"
    _add_entry(data_dir, url, copy_allowed=False)
    with pytest.raises(WebsiteConnectionError):
        Website(url, allow_private=True, saved_copy=False)
    with pytest.warns(UserWarning):
        page = Website(url, allow_private=True)
    assert page.text.startswith(f"[Offline stand-in for {url}") and "Saved text." in page.text


def test_an_http_error_never_falls_back(server, data_dir):
    _add_entry(data_dir, f"{server}/missing", copy_allowed=False)
    with pytest.raises(WebsiteHTTPError) as error:
        Website(f"{server}/missing", allow_private=True)
    assert error.value.status_code == 404


def test_refresh_saves_the_live_text_of_pages_the_course_may_copy(server, data_dir):
    _add_entry(data_dir, f"{server}/", copy_allowed=True)
    before = {page.url: page.body() for page in savedpages.saved_pages(data_dir) if not page.copy_allowed}

    done = savedpages.refresh(
        lambda url: Website(url, allow_private=True, saved_copy=False, text_budget=None),
        data_dir=data_dir,
        today=dt.date(2026, 12, 1),
    )

    assert done == [f"{server}/"]
    pages = {page.url: page for page in savedpages.saved_pages(data_dir)}
    copy = pages[f"{server}/"]
    assert (copy.kind, copy.saved) == ("copy", "2026-12-01")
    assert {url: pages[url].body() for url in before} == before  # stand-ins untouched
    body = copy.body().decode()
    assert "<title>Live page</title>" in body and f"{server}/about" in body
    assert "Live text one." in body and "Live text two." in body


def test_a_refreshed_copy_reads_back_offline_with_its_date(data_dir):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    serving_thread(httpd).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    _add_entry(data_dir, url, copy_allowed=True)
    live = Website(url, allow_private=True, saved_copy=False)
    savedpages.refresh(
        lambda u: Website(u, allow_private=True, saved_copy=False), data_dir=data_dir, today=dt.date(2026, 12, 1)
    )
    httpd.shutdown()
    httpd.server_close()  # now nothing listens there: no route to the page

    with pytest.warns(UserWarning, match="You are offline"):
        page = Website(url, allow_private=True)
    assert page.text.startswith(f"[Saved copy of {url} from 2026-12-01: you are offline")
    assert page.title == live.title and page.links == live.links
    assert live.text in page.text


def test_the_command_lists_the_saved_pages(capsys):
    assert saved_pages_cli(["list"]) == 0
    out = capsys.readouterr().out
    for url in LESSON_URLS:
        assert url.rstrip("/") + "/" in out
