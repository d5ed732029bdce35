"""Commands for running workers and keeping the database small: ``worker`` and ``purge``."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

import click

from aspectfile_core.cli import output
from aspectfile_core.cli.app import CliState, echo_report
from aspectfile_core.cli.errors import EXIT_INCOMPLETE
from aspectfile_core.domain.errors import TransientError
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.i18n import batch_status_label
from aspectfile_core.redaction import redact
from aspectfile_core.services import ProcessReport
from aspectfile_core.services.batches import (
    DEFAULT_PURGE_STATUSES,
    MAX_PURGE_CHUNK_SIZE,
    PURGE_CHUNK_SIZE,
)

Translate = Callable[[str], str]

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def register(cli: click.Group, _: Translate) -> None:
    """Add ``worker`` and ``purge`` to *cli*."""

    @cli.command(
        help=_(
            "Process batches until stopped: claim the due batches and, when none is due, wait and look again. SIGTERM or Ctrl+C stops the worker once the batch in hand is finished."
        )
    )
    @click.option(
        "--idle-wait",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help=_("Seconds to wait before looking again when no batch is due."),
    )
    @click.option(
        "--stop-after",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help=_(
            "Stop after this many seconds, once the batch in hand is finished. Default: run until stopped."
        ),
    )
    @click.pass_obj
    def worker(state: CliState, idle_wait: float, stop_after: float | None) -> None:
        service = state.service
        stop = threading.Event()
        deadline = None
        if stop_after is not None:
            deadline = service.clock.now() + dt.timedelta(seconds=stop_after)

        reports: list[ProcessReport] = []
        with _stop_on_signals(stop):
            # Logged once the handlers are in place, so a stop requested after
            # this line always ends the worker cleanly.
            logger.info(
                "AspectFile: Worker started (idle wait %s s)",
                idle_wait,
                extra={"action": "worker_started"},
            )
            while not stop.is_set():
                try:
                    report = service.process(deadline=deadline, stop=stop)
                except TransientError as error:
                    logger.warning(
                        "AspectFile: Worker pass failed: %s; trying again in %s s",
                        redact(str(error)),
                        idle_wait,
                        extra={"action": "worker_pass_failed"},
                    )
                    report = ProcessReport()
                reports.append(report)

                if deadline is not None and service.clock.now() >= deadline:
                    break
                if not (report.uploaded or report.retried or report.failed or report.lost):
                    stop.wait(_wait_seconds(idle_wait, deadline, service.clock.now()))

        logger.info("AspectFile: Worker stopped", extra={"action": "worker_stopped"})
        echo_report(_combined(reports), service, _)

    @cli.command(
        help=_(
            "Delete batches created more than DAYS days ago, with their leads and attempt history, a chunk of batches per transaction. Only UPLOADED and FAILED batches unless --status names other states; a batch a worker holds is never deleted."
        )
    )
    @click.option(
        "--older-than",
        "days",
        required=True,
        type=click.IntRange(min=0),
        metavar="DAYS",
        help=_("Delete batches created more than DAYS days ago."),
    )
    @click.option(
        "--status",
        "statuses",
        multiple=True,
        type=click.Choice([status.value for status in BatchStatus], case_sensitive=False),
        help=_(
            "Only batches in this state; repeat the option for several. Default: UPLOADED and FAILED."
        )
        + " "
        + output.status_legend(_),
    )
    @click.option(
        "--chunk-size",
        type=click.IntRange(min=1, max=MAX_PURGE_CHUNK_SIZE),
        default=PURGE_CHUNK_SIZE,
        show_default=True,
        metavar="N",
        help=_("Batches deleted per transaction."),
    )
    @click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
    @click.pass_obj
    def purge(
        state: CliState, days: int, statuses: tuple[str, ...], chunk_size: int, yes: bool
    ) -> None:
        service = state.service
        chosen = sorted(
            {BatchStatus(status.upper()) for status in statuses} or DEFAULT_PURGE_STATUSES
        )
        older_than = dt.timedelta(days=days)
        cutoff = output.when(service.clock.now() - older_than, state.locale)
        names = ", ".join(f'"{batch_status_label(status, _)}"' for status in chosen)

        if not yes:
            question = _(
                "Delete the batches in {statuses} created before {cutoff}, with their leads?"
            ).format(statuses=names, cutoff=cutoff)
            if not output.confirm(question, _):
                click.echo(_("Nothing deleted."))
                raise SystemExit(EXIT_INCOMPLETE)

        deleted = service.purge(older_than=older_than, statuses=chosen, chunk_size=chunk_size)
        click.echo(
            _("Batches deleted: {count} (states {statuses}, created before {cutoff}).").format(
                count=deleted, statuses=names, cutoff=cutoff
            )
        )


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set *stop* on SIGTERM or SIGINT while the body runs, then restore the old handlers."""

    def request_stop(number: int, _frame: FrameType | None) -> None:
        logger.info(
            "AspectFile: Worker received %s; stopping after the batch in hand",
            signal.Signals(number).name,
            extra={"action": "worker_stopping"},
        )
        stop.set()

    previous = {number: signal.signal(number, request_stop) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _wait_seconds(idle_wait: float, deadline: dt.datetime | None, now: dt.datetime) -> float:
    if deadline is None:
        return idle_wait
    return max(0.0, min(idle_wait, (deadline - now).total_seconds()))


def _combined(reports: list[ProcessReport]) -> ProcessReport:
    return ProcessReport(
        uploaded=tuple(i for report in reports for i in report.uploaded),
        retried=tuple(i for report in reports for i in report.retried),
        failed=tuple(i for report in reports for i in report.failed),
        lost=tuple(i for report in reports for i in report.lost),
        rescued=tuple(i for report in reports for i in report.rescued),
    )
