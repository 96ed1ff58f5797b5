# The course in two commands:   make lab   (set up + start JupyterLab)   make test   (set up + run every test)
# Each target creates .venv on first use, installing the exact versions in requirements.lock.
# Windows without make: see README ("conda route").

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned, so the extras below never pull a different (multi-GB CUDA) build.
TORCH  ?= torch==2.13.0
LOCK   := requirements.lock
LEARNER_EXTRAS := course,hf,local
# llama-cpp-python compiles from source: a portable build (no -march=native) runs on any x86-64 CPU.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF
# setuptools announces every editable install with a boxed "be careful" warning that says nothing a learner needs.
QUIET_BUILD := PYTHONWARNINGS="ignore:Editable installation"
PIP := $(QUIET_BUILD) $(BIN)/python -m pip install --quiet --disable-pip-version-check --constraint $(LOCK)

.PHONY: lab test test-fast lint bench serve doctor lock clean-venv

# The learner's environment: the course, Hugging Face and the local model (no test tools).
$(VENV)/.installed: pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Python 3.11 or newer is needed; {sys.executable} is {v.major}.{v.minor}. Install a newer Python and run: make PYTHON=python3.12 lab")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "Installing the course into $(VENV) (up to 5 minutes the first time if llama-cpp-python must compile)..."
	@$(PIP) "$(TORCH)"
	@$(PIP) -e ".[$(LEARNER_EXTRAS)]"
	@rm -f $(VENV)/.installed-dev
	@touch $@

# The maintainer's extras on top: pytest, nbval, Playwright, ruff...
$(VENV)/.installed-dev: $(VENV)/.installed
	@$(PIP) -e ".[$(LEARNER_EXTRAS),dev]"
	@touch $@

lab: $(VENV)/.installed  ## start JupyterLab on 127.0.0.1, opening the README (works with no keys: the local model answers)
	@$(BIN)/llmcourse lab

test: $(VENV)/.installed-dev  ## every test: lint, package, embedded server, notebooks (offline), browser apps
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed-dev  ## the package tests that need no model, no notebook kernel and no browser (< 1 min)
	$(BIN)/python -m pytest -m "not slow" -n auto --maxprocesses=4 tests llmcourse

lint: $(VENV)/.installed-dev  ## ruff: rules and formatting
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

bench: $(VENV)/.installed-dev  ## benchmarks: tables on screen, JSON in bench/results/
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

serve: $(VENV)/.installed  ## the local model's OpenAI / Ollama / Anthropic server on 127.0.0.1:8800
	$(BIN)/llmcourse serve

doctor: $(VENV)/.installed  ## check Python, packages, keys and providers
	$(BIN)/llmcourse doctor

# Refresh requirements.lock: resolve every extra afresh in a scratch venv and record the exact versions.
lock:
	rm -rf .cache/lock-venv
	$(PYTHON) -m venv .cache/lock-venv
	.cache/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	.cache/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check "$(TORCH)"
	$(QUIET_BUILD) .cache/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check ".[$(LEARNER_EXTRAS),dev]"
	( echo "# Exact versions that make lab / make test install (pip --constraint). Refresh with: make lock"; \
	  echo "# Made from pyproject.toml's extras $(LEARNER_EXTRAS),dev with $(TORCH) (local labels such as +cpu dropped)."; \
	  .cache/lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^llmcourse' | sed -E 's/\+[A-Za-z0-9.]+$$//' ) > $(LOCK)
	rm -rf .cache/lock-venv

clean-venv:
	rm -rf $(VENV)
