"""Command modules added to ``aspectfile-run`` beside the core commands in :mod:`aspectfile_core.cli.app`.

Each module defines ``register(cli: click.Group, _: Translate) -> None``,
which adds its commands to the group with help texts translated by ``_``.
List a new module in :data:`MODULES`.
"""

from __future__ import annotations

from types import ModuleType

from aspectfile_core.cli.commands import operations, serve, store

MODULES: list[ModuleType] = [operations, serve, store]
