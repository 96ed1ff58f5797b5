"""Test-only kernel start-up: serve the synthetic sites of tests/fixtures/sites to `requests` (see tests/sites.py).

Active only when the test configuration sets LLMCOURSE_FIXTURE_SITES (the sites folder). Leaves no
names behind in the notebook's namespace.
"""


def _llmcourse_fixture_sites() -> None:
    import importlib.util
    import os
    import sys
    from pathlib import Path

    folder = os.environ.get("LLMCOURSE_FIXTURE_SITES")
    if not folder:
        return
    helper = Path(__file__).resolve().parents[3] / "sites.py"  # tests/sites.py
    spec = importlib.util.spec_from_file_location("_llmcourse_fixture_sites", helper)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.install(folder)


_llmcourse_fixture_sites()
del _llmcourse_fixture_sites
