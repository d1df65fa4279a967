"""Project tasks: tests, lint, typecheck, generate, quickstart, bench, docs."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "tests"]

SOURCES = [
    "src",
    "tests",
    "tools",
    "examples",
    "docs_tools",
    "noxfile.py",
]


def install_project(session: nox.Session, extras: str = "dev") -> None:
    session.install("-e", f".[{extras}]")


#: Every Python the package supports (``requires-python``).
SUPPORTED_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
#: CI (``CI`` set, as ``.ci/run`` has it) runs the oldest and the newest, within its time budget.
PYTHONS = (
    [SUPPORTED_PYTHONS[0], SUPPORTED_PYTHONS[-1]] if os.environ.get("CI") else SUPPORTED_PYTHONS
)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite (unit, emulator, integration, end-to-end, slow), then the skip check.

    ``nox -s tests`` runs it on each of ``PYTHONS`` found on the machine (a missing one is
    skipped, except on CI); ``nox -s tests-3.13`` on one. The JUnit report is named after the
    session, so each run checks its own: ``tools/check_skips.py`` fails the session on any skip
    that is not on its allow list.
    """
    install_project(session)
    report = f"build/pytest-{session.name}.xml"
    session.run("pytest", "-rs", f"--junitxml={report}", *session.posargs)
    session.run("python", "tools/check_skips.py", report)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and the import layers (lint-imports)."""
    session.install("ruff>=0.6", "import-linter>=2.1")
    session.run("ruff", "check", *SOURCES)
    session.run("ruff", "format", "--check", *SOURCES)
    # The contracts in pyproject.toml; the packages are read from src/, not installed.
    session.run("lint-imports", "--no-cache", env={"PYTHONPATH": "src"})


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the three packages (generated code included)."""
    install_project(session)
    session.run("mypy")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate the sync facade (``-- --check`` only verifies it is current)."""
    install_project(session)
    session.run("python", "tools/generate_sync.py", *session.posargs)


@nox.session
def quickstart(session: nox.Session) -> None:
    """The main job: the quickstart on the embedded emulator."""
    install_project(session, extras="emulator")
    session.run("python", "examples/quickstart.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the sink and the served emulator (``-- --quick`` for a smoke run)."""
    install_project(session, extras="dev,bench")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (warnings fail it), then screenshot the Dataset reference.

    The screenshot (``docs/_build/dataset-reference.png``) needs Chromium, which
    ``docs_tools/screenshot.py`` installs when missing; ``-- --no-screenshot`` skips it. Other
    arguments go to ``mkdocs build``.
    """
    install_project(session, extras="docs")
    args = [arg for arg in session.posargs if arg != "--no-screenshot"]
    session.run("mkdocs", "build", "--strict", *args, env={"NO_MKDOCS_2_WARNING": "1"})
    if "--no-screenshot" not in session.posargs:
        session.run(
            "python",
            "docs_tools/screenshot.py",
            "site/reference/async/dataset/index.html",
            "docs/_build/dataset-reference.png",
        )
