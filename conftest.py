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
    return any(
        item.path.suffix == ".ipynb" or "local_server" in getattr(item, "fixturenames", ())
        for item in items
    )


def pytest_collection_modifyitems(session, config, items):
    if _needs_server(items):
        offline_env.CACHE.mkdir(parents=True, exist_ok=True)
        from tests import offline_cache

        offline_cache.build()
        offline_env.start_local_server()


def pytest_unconfigure(config):
    offline_env.stop_local_server()


@pytest.fixture(scope="session")
def local_server() -> str:
    """Base URL of the embedded model server (http://127.0.0.1:PORT), started once per run."""
    return offline_env.start_local_server()
