"""The generator: stream leads through a compiled schema into the bytes of one file."""

from __future__ import annotations

import collections
import decimal
import logging
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, BinaryIO

import attrs

from aspectfile_core.domain.errors import LeadDataError
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.domain.model import LeadFailure, LeadWarning
from aspectfile_core.ports import RenderOutcome
from aspectfile_core.schema.compiler import LeadProblem, RecordProgram, record_problem_message
from aspectfile_core.schema.errors import BatchPolicyError, RecordRenderError
from aspectfile_core.schema.location import batch_values
from aspectfile_core.schema.model import BatchVariables, Schema
from aspectfile_core.schema.templates import parse_template

logger = logging.getLogger(__name__)

SPOOL_MEMORY_LIMIT = 4 * 1024 * 1024
"""Bytes of data records kept in memory before the spool moves to a temporary file on disk.

Data records go to the spool only when a header needs totals (record count or sums)."""

LeadChunk = Sequence[tuple[str, Mapping[str, Any]]]


@attrs.frozen
class RenderResult:
    """The outcome of rendering one file: counts, failures, warnings and sums."""

    record_count: int
    """Data records written."""
    lead_count: int
    """Leads read: written plus failed."""
    failures: Mapping[str, LeadFailure]
    """Failed leads by lead id; they are not in the file."""
    warnings: Mapping[str, tuple[LeadWarning, ...]]
    """Warnings of written leads, by lead id."""
    sums: Mapping[str, int | decimal.Decimal]
    """Sum of each integer and decimal data field over the written records."""

    def to_outcome(self) -> RenderOutcome:
        """Return the :class:`RenderOutcome` the repository records on GENERATING -> UPLOADING."""
        return RenderOutcome(
            record_count=self.record_count, failures=self.failures, warnings=self.warnings
        )


@attrs.frozen
class FormattedLead:
    """One lead's field texts after every step but padding and quoting, in field order."""

    values: Mapping[str, str]
    warnings: tuple[LeadWarning, ...]


def format_lead(schema: Schema, fields: Mapping[str, Any]) -> FormattedLead:
    """Run one contact through the data fields; raise :class:`LeadDataError` when it would fail."""
    program = schema.compiled.data
    warnings: list[LeadWarning] = []
    try:
        values = program.evaluate(fields, warnings)
    except LeadProblem as problem:
        failure = problem.to_failure()
        raise LeadDataError(problem.code, problem.field, problem.value, failure.message) from None
    return FormattedLead(
        values=dict(zip(program.names, (text for text, _ in values), strict=True)),
        warnings=tuple(warnings),
    )


class _LineSink:
    """Writes lines to a binary stream with the separator between them."""

    def __init__(self, out: IO[bytes], separator: bytes, preceded: bool) -> None:
        self.out = out
        self.separator = separator
        self.preceded = preceded
        self.lines = 0

    def write_lines(self, lines: Sequence[bytes]) -> None:
        if not lines:
            return
        if self.preceded:
            self.out.write(self.separator)
        self.out.write(self.separator.join(lines))
        self.preceded = True
        self.lines += len(lines)


def render_file(
    schema: Schema,
    leads: Iterable[LeadChunk],
    out: BinaryIO,
    variables: BatchVariables,
) -> RenderResult:
    """Write the file for a batch to *out*: header records, column titles, data records, trailer records.

    *leads* yields chunks of ``(lead_id, fields)``. Memory does not grow with
    the number of leads, except for the failures and warnings returned: when a
    header uses the record count or a sum, data records are spooled to a
    temporary file and copied after the header. A lead whose value fails a
    field is left out and reported in :attr:`RenderResult.failures` instead of
    raising. Raises :class:`RecordRenderError` when a header or trailer field cannot be
    rendered.
    """
    compiled = schema.compiled
    separator = compiled.line_separator
    values = batch_values(variables, schema.extension, schema.timezone)
    out.write(compiled.codec.bom)
    head = _LineSink(out, separator, preceded=False)

    if not compiled.header_uses_totals:
        head.write_lines(_render_records(schema, "header", compiled.header, values))
        head.write_lines([compiled.column_titles] if compiled.column_titles is not None else [])
        body = _LineSink(out, separator, preceded=head.preceded)
        result = _render_data(schema, leads, body)
    else:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_LIMIT) as spool:
            body = _LineSink(spool, separator, preceded=compiled.lines_before_data > 0)
            result = _render_data(schema, leads, body)
            values.update(_totals(result))
            head.write_lines(_render_records(schema, "header", compiled.header, values))
            head.write_lines([compiled.column_titles] if compiled.column_titles is not None else [])
            spool.seek(0)
            shutil.copyfileobj(spool, out)

    values.update(_totals(result))
    tail = _LineSink(out, separator, preceded=head.preceded or body.preceded)
    tail.write_lines(_render_records(schema, "trailer", compiled.trailer, values))
    if schema.final_newline and (head.lines or body.lines or tail.lines):
        out.write(separator)

    logger.debug(
        "Rendered file for schema %s: %d records, %d failed leads",
        schema.name,
        result.record_count,
        len(result.failures),
        extra={"schema": schema.name, "batch_id": variables.batch_id},
    )
    return result


LEAD_ID_FIELD = "lead_id"
"""Name under which data fields can read the host's lead id."""


def with_lead_id(fields: Mapping[str, Any], lead_id: str) -> Mapping[str, Any]:
    """Return *fields* with the host's lead id as ``lead_id``, unless the contact has its own."""
    if LEAD_ID_FIELD in fields:
        return fields
    return {**fields, LEAD_ID_FIELD: lead_id}


def uses_lead_id(schema: Schema) -> bool:
    """Return True when a data field reads ``lead_id`` as its source or in its template."""
    for spec in schema.fields:
        if spec.source == LEAD_ID_FIELD:
            return True
        if spec.template is not None:
            template, _ = parse_template(spec.template)
            if template is not None and LEAD_ID_FIELD in template.names:
                return True
    return False


def _render_data(schema: Schema, leads: Iterable[LeadChunk], sink: _LineSink) -> RenderResult:
    program = schema.compiled.data
    render = program.render_data
    # The host's lead id is a contact field named "lead_id" unless the contact has its own.
    reads_lead_id = uses_lead_id(schema)
    names = [name for _, name in program.numeric]
    totals: list[int | decimal.Decimal] = [_zero(schema, name) for name in names]
    failures: dict[str, LeadFailure] = {}
    lead_warnings: dict[str, tuple[LeadWarning, ...]] = {}
    lead_count = 0
    warnings: list[LeadWarning] = []

    for chunk in leads:
        lead_count += len(chunk)
        lines: list[bytes] = []
        append = lines.append
        for lead_id, fields in chunk:
            if reads_lead_id:
                fields = with_lead_id(fields, lead_id)
            try:
                line, numbers = render(fields, warnings)
            except LeadProblem as problem:
                failures[lead_id] = problem.to_failure()
                warnings.clear()
                continue

            append(line)
            if numbers:
                for position, typed in enumerate(numbers):
                    if typed is not None:
                        totals[position] += typed
            if warnings:
                lead_warnings[lead_id] = tuple(warnings)
                warnings.clear()
        sink.write_lines(lines)

    return RenderResult(
        record_count=sink.lines,
        lead_count=lead_count,
        failures=failures,
        warnings=lead_warnings,
        sums=dict(zip(names, totals, strict=True)),
    )


def _zero(schema: Schema, name: str) -> int | decimal.Decimal:
    spec = next(spec for spec in schema.fields if spec.name == name)
    if spec.type == "decimal":
        return decimal.Decimal(0).scaleb(-spec.places)
    return 0


def _totals(result: RenderResult) -> dict[str, Any]:
    totals: dict[str, Any] = {"record_count": result.record_count}
    totals.update((f"sum_{name}", total) for name, total in result.sums.items())
    return totals


def _render_records(
    schema: Schema, kind: str, records: Sequence[RecordProgram], values: Mapping[str, Any]
) -> list[bytes]:
    lines: list[bytes] = []
    for index, record in enumerate(records):
        try:
            line, _ = record.render(values, None)
        except LeadProblem as problem:
            path = f"{kind}[{index}].fields[{record.names.index(problem.field)}]"
            raise RecordRenderError(
                schema.name,
                f"{kind}[{index}]",
                problem.code,
                problem.field,
                problem.value,
                record_problem_message(path, problem),
            ) from None
        lines.append(line)
    return lines


def check_batch_policies(schema: Schema, result: RenderResult) -> None:
    """Raise :class:`BatchPolicyError` when the schema's batch policies require the batch to fail.

    The checks run in this order: any failed lead with ``invalid_leads =
    "fail_batch"``, then a failed share above ``max_invalid_ratio``, then no
    data records with ``empty_batch = "fail"``.
    """
    failed = len(result.failures)
    total = result.lead_count
    if failed and schema.invalid_leads == "fail_batch":
        raise BatchPolicyError(
            "invalid_leads",
            failed,
            total,
            Message.of(
                N_(
                    "{failed} of {total} leads failed and schema {schema!r} sets "
                    "invalid_leads = 'fail_batch'{common_reason}"
                ),
                failed=failed,
                total=total,
                schema=schema.name,
                common_reason=_common_reason(result),
            ),
        )

    ratio = schema.max_invalid_ratio
    if ratio is not None and total and failed / total > ratio:
        raise BatchPolicyError(
            "max_invalid_ratio",
            failed,
            total,
            Message.of(
                N_(
                    "{failed} of {total} leads failed, more than max_invalid_ratio {ratio} of "
                    "schema {schema!r}; check the schema's field mapping{common_reason}"
                ),
                failed=failed,
                total=total,
                ratio=f"{ratio:g}",
                schema=schema.name,
                common_reason=_common_reason(result),
            ),
        )

    if result.record_count == 0 and schema.empty_batch == "fail":
        raise BatchPolicyError(
            "empty_batch",
            failed,
            total,
            Message.of(
                N_(
                    "the file would have no data records (leads: {total}, failed: {failed}) and "
                    "schema {schema!r} sets empty_batch = 'fail'"
                ),
                total=total,
                failed=failed,
                schema=schema.name,
            ),
        )


def _common_reason(result: RenderResult) -> Message:
    counts = collections.Counter(failure.code for failure in result.failures.values())
    if not counts:
        return Message("")
    code, count = counts.most_common(1)[0]
    return Message.of(N_("; most common reason: {code} ({count} leads)"), code=code, count=count)
