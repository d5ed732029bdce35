"""Sphinx configuration for the aspectfile-core documentation (``nox -s docs``)."""

from __future__ import annotations

from importlib import metadata

from aspectfile_core.cli import app as cli_app

project = "aspectfile-core"
author = "aspectfile-core developers"
release = metadata.version("aspectfile-core")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx_click",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"aspectfile-core {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# attrs classes and Protocols repeat names that Sphinx cannot always resolve;
# the text stays readable, so unresolved cross-references are not errors.
nitpicky = False

# No network here or on CI: intersphinx inventories are not fetched.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

# The command group is built by a factory; document the English one.
cli_app.DOCS_CLI = cli_app.create_cli(lambda text: text, "en_US")  # type: ignore[attr-defined]
