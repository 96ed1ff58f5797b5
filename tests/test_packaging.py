"""pyproject.toml is the one dependency list: requirements.txt and environment.yml must agree with it,
and the set-up files the README promises must exist and say what it says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LEARNER_EXTRAS = "course,hf,local"  # what requirements.txt and environment.yml install


def requirement_lines(path: Path) -> list[str]:
    return [
        line.strip() for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_requirements_txt_installs_the_package_with_the_learner_extras():
    assert requirement_lines(ROOT / "requirements.txt") == [f"-e .[{LEARNER_EXTRAS}]"]
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(LEARNER_EXTRAS.split(",")) <= set(extras)


def test_environment_yml_parses_and_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "llms"
    assert env["channels"] == ["conda-forge", "nodefaults"]  # `defaults` needs its terms accepted first
    deps = env["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict)]
    assert pip_sections == [[f"-e .[{LEARNER_EXTRAS}]"]]
    conda = {
        Requirement(d.split("#")[0].strip().replace("=", "==", 1) if re.fullmatch(r"[\w-]+=[\d.]+", d) else d).name: d
        for d in deps
        if isinstance(d, str)
    }
    # Python: the conda floor is the project's floor.
    python = Requirement(conda["python"])
    assert python.specifier.contains("3.11") and not python.specifier.contains("3.10")
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains("3.11")
    # Every other conda package must be one pyproject asks for, with a compatible version range.
    wanted = {
        Requirement(r).name: Requirement(r)
        for extra in LEARNER_EXTRAS.split(",")
        for r in PYPROJECT["project"]["optional-dependencies"][extra]
        if not r.startswith("llmcourse")
    }
    for name, line in conda.items():
        if name in ("python", "pip"):
            continue
        assert name in wanted, f"environment.yml installs {name}, which pyproject.toml does not list"
        floor = re.search(r">=([\d.]+)", line).group(1)
        assert wanted[name].specifier.contains(floor), (
            f"{name}: conda floor {floor} is outside pyproject's {wanted[name].specifier}"
        )


def test_majors_that_broke_notebooks_are_capped():
    deps = [Requirement(r) for extra in PYPROJECT["project"]["optional-dependencies"].values() for r in extra]
    caps = {d.name: d.specifier for d in deps}
    assert not caps["gradio"].contains("7.0") and caps["gradio"].contains("6.31")
    assert not caps["transformers"].contains("6.0") and caps["transformers"].contains("5.23")
    assert not caps["openai"].contains("4.0") and not caps["anthropic"].contains("3.0")


def test_core_dependencies_leave_colabs_kernel_alone():
    core = {Requirement(r).name for r in PYPROJECT["project"]["dependencies"]}
    assert not core & {"jupyterlab", "ipykernel", "ipython", "jupyter-client", "notebook", "nbval", "pytest"}


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert re.search(r"^make lab\b", quick_start, re.M) and re.search(r"^make test\b", quick_start, re.M)
    makefile = (ROOT / "Makefile").read_text()
    # Learners get the course without the test tools; the test target adds them.
    assert re.search(r"^lab: \$\(VENV\)/\.installed\s", makefile, re.M)
    assert re.search(r"^test: \$\(VENV\)/\.installed-dev\s", makefile, re.M)
    learner_install = re.search(r"^\$\(VENV\)/\.installed:.*?^\t@touch", makefile, re.M | re.S).group(0)
    assert "LEARNER_EXTRAS" in learner_install and "dev" not in learner_install.replace("installed-dev", "")
    assert re.search(r"^LEARNER_EXTRAS := course,hf,local$", makefile, re.M)
    # Every install goes through the lock, and `make lab` starts `llmcourse lab` (JupyterLab on 127.0.0.1).
    assert "--constraint $(LOCK)" in makefile and (ROOT / "requirements.lock").exists()
    assert "$(BIN)/llmcourse lab" in makefile and "GGML_NATIVE=OFF" in makefile
    assert "--ServerApp.ip=127.0.0.1" in (ROOT / "llmcourse" / "lab.py").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_env_is_ignored_and_example_is_not():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored and "!.env.example" in ignored and ".venv/" in ignored
    assert (ROOT / ".env.example").exists()


def test_cli_entry_point_is_declared():
    assert PYPROJECT["project"]["scripts"]["llmcourse"] == "llmcourse.cli:main"


def test_no_tracked_file_holds_a_key_shaped_string():
    # Secret scanners block pushes that contain such strings; test keys are split ("sk-proj-" "...").
    import subprocess

    pattern = re.compile(
        r"(sk-(proj|svcacct|ant)-[A-Za-z0-9_\-]{12,}|AIza[0-9A-Za-z_\-]{20,}|hf_[A-Za-z0-9]{20,}|r8_[A-Za-z0-9]{20,})"
    )
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name in files:
        path = ROOT / name
        if path.name == ".env.example" or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        if pattern.search(path.read_text(encoding="utf-8", errors="ignore")):
            offenders.append(name)
    assert offenders == []
