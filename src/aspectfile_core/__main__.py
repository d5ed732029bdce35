"""``python -m aspectfile_core`` runs the ``aspectfile-run`` command."""

from aspectfile_core.cli import main

main()
