"""The web admin for batches and schemas, as a WSGI application (needs the ``web`` extra).

Build it with :func:`create_app` and mount it in a host application, or run
it stand-alone with ``aspectfile-run serve``. docs/web.md shows both.
"""

from aspectfile_core.web.app import (
    DEFAULT_PREFIX,
    Action,
    AdminApp,
    AdminSettings,
    Authorize,
    allow_all,
    create_app,
)
from aspectfile_core.web.formatting import LocaleSelector
from aspectfile_core.web.security import BasicAuthMiddleware

__all__ = [
    "DEFAULT_PREFIX",
    "Action",
    "AdminApp",
    "AdminSettings",
    "Authorize",
    "BasicAuthMiddleware",
    "LocaleSelector",
    "allow_all",
    "create_app",
]
