"""The offline web of the notebook run: made-up fixture sites served to `requests` in real kernels.

Two levels: the fixture data and `tests/sites.py` in this process (patch installed, then undone),
and a real IPython kernel started the way nbval starts one (current environment, IPYTHONDIR =
tests/ipython), where the start-up script must make `Website("https://huggingface.co")` work with
no network, and refuse every other host.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, start_new_kernel

from llmcourse import web
from llmcourse.web import HostNotFoundError, UnsafeURLError, Website, WebsiteConnectionError, check_url
from tests import sites

ROOT = Path(__file__).resolve().parent.parent
IPYTHONDIR = ROOT / "tests" / "ipython"
FIXTURE_HOSTS = ["edwarddonner.com", "huggingface.co", "www.anthropic.com", "openai.com"]


# ------------------------------------------------------------------------- in this process


@pytest.fixture
def offline_web():
    undo = sites.install()
    yield
    undo()


def test_required_hosts_are_there():
    fixture = sites.FixtureSites()
    assert set(FIXTURE_HOSTS) <= fixture.hosts
    for host, target in fixture.redirects.items():
        assert urlsplit(target).hostname in fixture.hosts, host


# Words that only the parts a scraper drops carry (script, noscript, svg, nav, footer): never in page text.
DROPPED_ONLY = ("dataLayer", "enable JavaScript", "logo-mark", "js-ready", "Skip to content", "Staff sign-in", "\u00a9")
# What learners must never read in an output: the harness, or a page announcing it is fake.
HARNESS_WORDS = ("synthetic", "fixture", "fictional", "made-up", "made up", "test page", "noise")


def _marked_as_fixture(host: str, path: str = "/") -> bool:
    """The page's HTML carries the test-only notice, in a comment."""
    status, _, body = sites.FixtureSites().answer(f"https://{host}{path}")
    return status == 200 and f"<!-- Test fixture: a made-up stand-in for {host}" in body.decode()


@pytest.mark.parametrize("host", FIXTURE_HOSTS)
def test_each_home_page_reads_like_the_site_and_links_to_real_fixture_pages(offline_web, host):
    home = Website(f"https://{host}")
    assert home.url == f"https://{host}"
    assert _marked_as_fixture(host)
    assert len(home.text) > 150  # real copy to summarise, not a stub
    for word in HARNESS_WORDS + DROPPED_ONLY:
        assert word.lower() not in home.text.lower(), word
    internal = [link for link in home.links if urlsplit(link).hostname == host and link != f"https://{host}/"]
    assert 5 <= len(internal) <= 8
    for link in internal:  # every internal link the model may pick is a fixture page that reads like one
        page = Website(check_url(link, base=home.url))
        assert _marked_as_fixture(host, urlsplit(page.url).path)
        assert not any(word in page.text.lower() for word in HARNESS_WORDS), page.url
    # Links a brochure's URL policy must turn down are on every home page: links, never visible sentences.
    for bad in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/admin"):
        assert bad in home.links
        assert "169.254" not in home.text and "127.0.0.1" not in home.text
        with pytest.raises(UnsafeURLError):
            check_url(bad, base=home.url)
        with pytest.raises(UnsafeURLError):
            check_url(bad, base=home.url, same_site=False)
    assert any(
        urlsplit(link).hostname not in (host, None) and "169.254" not in link and "127.0.0.1" not in link
        for link in home.links
    )  # external links too


def test_unknown_paths_redirects_and_other_hosts(offline_web):
    with pytest.raises(web.WebsiteHTTPError) as caught:
        Website("https://huggingface.co/no-such-page")
    assert caught.value.status_code == 404
    assert Website("https://anthropic.com/careers").url == "https://www.anthropic.com/careers"
    status, _, body = sites.FixtureSites().answer("https://openai.com/../../conftest.py")
    assert (
        status == 404 and b"<!-- Test fixture: there is no page" in body and b"conftest" not in body.split(b"<!--")[0]
    )
    with pytest.raises(HostNotFoundError):
        Website("https://example.org/")
    with pytest.raises(WebsiteConnectionError, match="not a fixture site"):
        Website("https://example.org/", allow_private=True)
    with pytest.raises(requests.ConnectionError, match="not a fixture site"):
        requests.get("https://example.org/", timeout=5)


def test_install_is_undone():
    undo = sites.install()
    undo()
    assert requests.adapters.HTTPAdapter.send.__module__ == "requests.adapters"
    assert web.resolve_host.__module__ == "llmcourse.web"


# ------------------------------------------------------------------------------ in a kernel


def run_in_kernel(client, code: str) -> tuple[str, str, dict | None]:
    """Run `code`; return (status, stdout, error content or None)."""
    stdout: list[str] = []
    errors: list[dict] = []

    def on_output(message):
        if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
            stdout.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            errors.append(message["content"])

    reply = client.execute_interactive(code, output_hook=on_output, timeout=120, store_history=False)
    return reply["content"]["status"], "".join(stdout), (errors[0] if errors else None)


def start_kernel(tmp_path: Path, fixture_sites: bool):
    env = dict(os.environ, IPYTHONDIR=str(IPYTHONDIR))
    env.pop("LLMCOURSE_FIXTURE_SITES", None)
    if fixture_sites:
        env["LLMCOURSE_FIXTURE_SITES"] = str(sites.SITES_DIR)
    # cwd outside the repository, as a notebook folder may be: the start-up script must not rely on it.
    return start_new_kernel(kernel_name=CURRENT_ENV_KERNEL_NAME, env=env, cwd=str(tmp_path))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    manager, client = start_kernel(tmp_path_factory.mktemp("notebook"), fixture_sites=True)
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def test_kernel_fetches_a_fixture_site_offline(kernel):
    status, out, error = run_in_kernel(
        kernel,
        """
import json
from llmcourse import Website
page = Website("https://huggingface.co")
print(json.dumps({"url": page.url, "title": page.title, "text": page.text, "links": page.links}))
""",
    )
    assert status == "ok", error
    page = json.loads(out)
    assert page["url"] == "https://huggingface.co"
    assert page["title"] == "Hugging Face - The AI community building the future."
    assert "machine learning community" in page["text"] and "fixture" not in page["text"].lower()
    assert "https://huggingface.co/models" in page["links"]


def test_kernel_follows_links_a_model_picks(kernel):
    status, out, error = run_in_kernel(
        kernel,
        """
from llmcourse import Website, check_url, fetch_pages
home = Website("https://edwarddonner.com")
picked = ["/about", "https://edwarddonner.com/courses", "http://169.254.169.254/latest/meta-data/",
          "http://127.0.0.1:8080/admin", "https://github.com/example"]
allowed, refused = [], []
for link in picked:
    try:
        allowed.append(check_url(link, base=home.url))
    except Exception as error:
        refused.append(type(error).__name__)
results = fetch_pages(allowed)
print(json.dumps({"allowed": allowed, "refused": refused, "titles": [r.website.title for r in results]}))
""",
    )
    assert status == "ok", error
    result = json.loads(out)
    assert result["allowed"] == ["https://edwarddonner.com/about", "https://edwarddonner.com/courses"]
    assert result["refused"] == ["UnsafeURLError"] * 3
    assert result["titles"] == ["About - Edward Donner", "Courses - Edward Donner"]


def test_kernel_refuses_unknown_hosts(kernel):
    status, _, error = run_in_kernel(kernel, 'Website("https://example.org")')
    assert status == "error" and error["ename"] == "HostNotFoundError"
    status, _, error = run_in_kernel(kernel, 'import requests\nrequests.get("https://pypi.org/simple/", timeout=5)')
    assert status == "error" and error["ename"] == "ConnectionError" and "not a fixture site" in error["evalue"]


def test_kernel_namespace_shows_nothing_of_the_machinery(kernel):
    status, out, error = run_in_kernel(kernel, "print(json.dumps(sorted(n for n in dir() if 'fixture' in n.lower())))")
    assert status == "ok", error
    assert json.loads(out) == []


def test_without_the_variable_the_kernel_is_left_alone(tmp_path):
    manager, client = start_kernel(tmp_path, fixture_sites=False)
    try:
        status, out, error = run_in_kernel(
            client,
            """
import json, requests, llmcourse.web
print(json.dumps([requests.adapters.HTTPAdapter.send.__module__, llmcourse.web.resolve_host.__module__]))
""",
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert status == "ok", error
    assert json.loads(out) == ["requests.adapters", "llmcourse.web"]
