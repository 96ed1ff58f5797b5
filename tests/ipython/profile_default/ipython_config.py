# Test-only IPython profile (IPYTHONDIR=tests/ipython): keep no history file in the repository.
c = get_config()  # noqa: F821
c.HistoryManager.enabled = False
