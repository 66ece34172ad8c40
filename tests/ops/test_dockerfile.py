"""The Dockerfile without Docker: the base image, the project installed with pip, a non-root user,
an overridable CMD, only the package's own files copied in, and nothing secret baked into a layer."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from tests.ops.compose_file import ROOT

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


def test_base_image_is_python_311_slim(steps: list[tuple[str, str]]) -> None:
    assert [args for kw, args in steps if kw == "FROM"] == ["python:3.11-slim"]


def test_installs_the_project_with_pip(steps: list[tuple[str, str]]) -> None:
    runs = " ".join(args for kw, args in steps if kw == "RUN")
    assert re.search(r"pip install (--\S+ )*\.(\s|$)", runs), "the project itself is installed with pip"


def test_copies_everything_the_package_declares(steps: list[tuple[str, str]]) -> None:
    """What setuptools packages (and `python worker.py` needs) is in the image; nothing else."""
    copied = {src.rstrip("/") for kw, args in steps if kw == "COPY" for src in args.split()[:-1]}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    modules = {f"{m}.py" for m in project["tool"]["setuptools"]["py-modules"]}
    assert packages | modules | {"pyproject.toml", project["project"]["readme"]} <= copied
    assert all((ROOT / src).exists() for src in copied), "COPY of a path that is not in the repository"
    assert not copied & {".", ".data", ".env", ".venv", "tests"}


def test_runs_as_an_unprivileged_user(steps: list[tuple[str, str]]) -> None:
    users = [args for kw, args in steps if kw == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    last_user = max(i for i, (kw, _) in enumerate(steps) if kw == "USER")
    assert all(kw != "RUN" for kw, _ in steps[last_user:]), "nothing runs as root after USER"
    assert any(kw == "RUN" and "useradd" in args and users[-1] in args for kw, args in steps)


def test_cmd_is_exec_form_and_overridable(steps: list[tuple[str, str]]) -> None:
    assert not [kw for kw, _ in steps if kw == "ENTRYPOINT"], "an ENTRYPOINT would wrap every compose command"
    cmd = json.loads(next(args for kw, args in steps if kw == "CMD"))
    assert cmd[:2] == ["uvicorn", "api.app:app"]


SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|_PAT\b|PRIVATE", re.I)


def test_no_secrets_in_the_image(steps: list[tuple[str, str]]) -> None:
    for kw, args in steps:
        if kw in ("ENV", "ARG", "LABEL"):
            assert not SECRET_WORDS.search(args), f"{kw} {args}"
    assert not [kw for kw, _ in steps if kw == "ADD"], (
        "ADD can fetch URLs and unpack archives; COPY is enough"
    )


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip()}
    assert {".venv", ".data", ".env", ".git"} <= ignored


def test_the_dockerfile_has_no_paths_of_this_machine() -> None:
    assert "/work/" not in DOCKERFILE.read_text()
