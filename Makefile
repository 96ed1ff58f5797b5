# The course in two commands:   make lab   (set up + start JupyterLab)   make test   (set up + run every test)
# Each target creates .venv on first use. Windows without make: see README ("conda route").

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned, so the extras below never pull a different (multi-GB CUDA) build.
TORCH  ?= torch==2.13.0
EXTRAS ?= course,hf,local,dev
# llama-cpp-python compiles from source: a portable build (no -march=native) runs on any x86-64 CPU.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: lab test bench serve doctor clean-venv

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"Python 3.11 or newer is needed; {sys.executable} is {v.major}.{v.minor}. Install a newer Python and run: make PYTHON=python3.12 lab")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	@echo "Installing the course (the first time, llama-cpp-python compiles for about 5 minutes)..."
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $@

lab: $(VENV)/.installed  ## start JupyterLab on 127.0.0.1 (works with no keys: the local model answers)
	$(BIN)/python -m jupyter lab --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(VENV)/.installed  ## every test: package, embedded server, notebooks (offline), browser apps
	$(BIN)/python -m pytest

bench: $(VENV)/.installed  ## benchmarks: tables on screen, JSON in bench/results/
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

serve: $(VENV)/.installed  ## the local model's OpenAI / Ollama / Anthropic server on 127.0.0.1:8800
	$(BIN)/llmcourse serve

doctor: $(VENV)/.installed  ## check Python, packages, keys and providers
	$(BIN)/llmcourse doctor

clean-venv:
	rm -rf $(VENV)
