"""Development sessions: tests, lint, typecheck, i18n."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]
LOCALES = ["en_US", "pt_BR"]
CATALOG_DIR = "src/aspectfile_core/locale"
DOCS_REQUIREMENTS = ["sphinx>=8", "myst-parser>=4", "sphinx-click>=6", "furo>=2024.8"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the whole test suite; PostgreSQL and MariaDB must be reachable (see .ci/run)."""
    session.install("-c", "constraints.txt", "-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style with ruff."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "src", "tests", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Type-check the package with mypy --strict."""
    session.install("-c", "constraints.txt", "-e", ".[all]", "mypy>=1.11", "types-openpyxl")
    session.run("mypy", "--strict", "src/aspectfile_core")


@nox.session(python=PYTHON)
def i18n(session: nox.Session) -> None:
    """Extract messages, update the en_US and pt_BR catalogs and compile them."""
    session.install("Babel>=2.14")
    pot = f"{CATALOG_DIR}/aspectfile_core.pot"
    session.run(
        "pybabel",
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "N_",
        "-k",
        "N_plural:1,2",
        "--no-location",
        "--sort-output",
        "--project",
        "aspectfile-core",
        "-o",
        pot,
        "src/aspectfile_core",
    )
    for locale in LOCALES:
        session.run(
            "pybabel",
            "update",
            "-i",
            pot,
            "-d",
            CATALOG_DIR,
            "-D",
            "aspectfile_core",
            "-l",
            locale,
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        )
    session.run("pybabel", "compile", "-d", CATALOG_DIR, "-D", "aspectfile_core", "--statistics")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks and write docs/benchmarks.md; PostgreSQL must be reachable for P3 and P6."""
    session.install("-c", "constraints.txt", "-e", ".[all]", "Faker>=30", "pandas>=2.2")
    session.run("python", "-m", "benchmarks.run", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation with warnings as errors; broken internal links and anchors fail it.

    ``nox -s docs -- linkcheck`` also checks external links, which needs network access.
    """
    session.install("-c", "constraints.txt", "-e", ".[all]", *DOCS_REQUIREMENTS)
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")
    if "linkcheck" in session.posargs:
        session.run("sphinx-build", "-W", "--keep-going", "-b", "linkcheck", "docs", "docs/_build/linkcheck")
