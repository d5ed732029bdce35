"""Classification of the database errors that a retry cannot fix."""

from __future__ import annotations

import sqlalchemy as sa

from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.redaction import redact

# PostgreSQL SQLSTATEs: unknown database, rejected login, unknown role.
_POSTGRES_CONFIGURATION_STATES = {"3D000", "28000", "28P01"}
# MySQL/MariaDB error numbers: access denied to a database, rejected login, unknown database.
_MYSQL_CONFIGURATION_ERRORS = {1044, 1045, 1049}
# SQLite and driver messages that mean the URL itself is wrong.
_CONFIGURATION_TEXTS = (
    "unable to open database file",
    "does not exist",  # PostgreSQL's 'database "x" does not exist' and 'role "x" does not exist'
    "password authentication failed",
    "no password supplied",
)


def configuration_problem(error: sa.exc.DBAPIError, url: sa.URL) -> ConfigurationError | None:
    """Return a :class:`ConfigurationError` when *error* means the database URL is wrong, else None.

    Connection refused and timeouts stay transient: the server may come back.
    """
    orig = error.orig
    state = getattr(orig, "sqlstate", None)
    number = (
        orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    )
    text = str(orig).lower() if orig is not None else str(error).lower()
    is_configuration = (
        state in _POSTGRES_CONFIGURATION_STATES
        or number in _MYSQL_CONFIGURATION_ERRORS
        or (
            error.connection_invalidated is False
            and any(part in text for part in _CONFIGURATION_TEXTS)
            and "relation" not in text
            and "table" not in text
        )
    )
    if not is_configuration:
        return None
    shown = url.render_as_string(hide_password=True)
    detail = redact(str(orig).strip().splitlines()[0] if orig is not None else str(error))
    return ConfigurationError(
        Message.of(
            N_(
                "database {url} cannot be used: {detail}; check the database URL "
                "(--database or ASPECTFILE_DATABASE_URL): the folder of a SQLite file must exist, "
                "and a server database, user and password must be right"
            ),
            url=shown,
            detail=detail,
        )
    )
