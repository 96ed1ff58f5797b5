"""Test-run set-up for pytest and the notebook regression run (nbval).

Sets the offline environment before anything else (notebook kernels inherit it), builds the
offline caches once, and starts the embedded model server once per run, only when some collected
test needs it (a notebook, or a test using the `local_server` fixture).
"""

from __future__ import annotations

import pytest

from tests import offline_env

offline_env.configure_environment()


def pytest_collectstart(collector):
    # Warnings on stderr (tqdm, HF) differ between environments: never compare them.
    if collector.path is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)


def _needs_server(items) -> bool:
    return any(item.path.suffix == ".ipynb" or "local_server" in getattr(item, "fixturenames", ()) for item in items)


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if _needs_server([item]):
            item.add_marker(pytest.mark.slow)
    # `-m "not slow"` (make test-fast) deselects every test that needs the server: do not start it.
    if _needs_server(items) and "not slow" not in (config.getoption("markexpr") or ""):
        offline_env.CACHE.mkdir(parents=True, exist_ok=True)
        from tests import offline_cache

        offline_cache.build()
        offline_env.start_local_server()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Said once here, in the test log, and never in a notebook: offline, week 3's task models are random.
    ran = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    if not any(report.nodeid.startswith(("week3/", "tests/test_week3_models.py")) for report in ran):
        return
    from tests import offline_cache

    tiny = sorted(key for key, writer in offline_cache.builders().items() if writer.__module__.endswith("_tiny"))
    terminalreporter.write_line(
        f"Note: offline, week 3's {', '.join(tiny)} models are tiny random-weight stand-ins "
        "(tests/offline_cache_tiny.py): their labels, transcripts and sounds are random by design. "
        "The chat model, the embeddings and the tokenizers are the real ones."
    )


def pytest_unconfigure(config):
    offline_env.stop_local_server()


@pytest.fixture(scope="session")
def local_server() -> str:
    """Base URL of the embedded model server (http://127.0.0.1:PORT), started once per run."""
    return offline_env.start_local_server()
