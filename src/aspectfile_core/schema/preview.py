"""A text preview of a schema's first records, for ``aspectfile-run schema check``."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from aspectfile_core.domain.messages import N_, Translate
from aspectfile_core.domain.model import LeadFailure, LeadWarning
from aspectfile_core.schema.compiler import LeadProblem
from aspectfile_core.schema.location import EXAMPLE_VARIABLES
from aspectfile_core.schema.model import BatchVariables, Schema
from aspectfile_core.schema.writer import RenderResult, render_file, with_lead_id


def _english(text: str) -> str:
    return text


def column_ruler(width: int) -> str:
    """Return two lines numbering columns 1 to *width*: the tens digit every ten columns, then every units digit."""
    tens = "".join(
        str(column // 10 % 10) if column % 10 == 0 else " " for column in range(1, width + 1)
    )
    units = "".join(str(column % 10) for column in range(1, width + 1))
    return f"{tens.rstrip()}\n{units}"


@attrs.frozen
class SchemaPreview:
    """The first records of a schema's file for some sample contacts, and the contacts that failed."""

    schema: Schema
    records: str
    """The file's records as text: header, data and trailer, after a column ruler for fixed width."""
    shown: int
    """Data records shown: the first ones that render, at most the requested lines."""
    rendered: int
    """Sample contacts that render, the ones past the shown records included."""
    read: int
    """Sample contacts read to render them."""
    failures: tuple[tuple[str, LeadFailure], ...]
    warnings: tuple[tuple[str, LeadWarning], ...]
    repeated: int = 0
    """Sample contacts skipped because an earlier one had the same lead id, as a batch skips them."""
    example_values: bool = True
    """True when header and trailer records show example batch values, not a real batch's."""

    def render_result(self) -> RenderResult:
        """Return the counts as a :class:`RenderResult`, to test the schema's batch policies on."""
        return RenderResult(
            record_count=self.rendered,
            lead_count=self.rendered + len(self.failures),
            failures=dict(self.failures),
            warnings={},
            sums={},
        )

    def render(self, translate: Translate = _english) -> str:
        """Return the preview as text in the language of *translate*: summary, records, failures, warnings."""
        from aspectfile_core.i18n import describe_failure, describe_warning

        sections = [self._summary(translate)]
        if self.records:
            sections.append(self.records)
        if self.failures:
            lines = [
                f"  {lead_id}: {failure.code}: "
                + describe_failure(
                    failure.code, failure.field, failure.value, translate, failure.message
                )
                for lead_id, failure in self.failures[:MAX_LISTED_FAILURES]
            ]
            if len(self.failures) > MAX_LISTED_FAILURES:
                lines.append(
                    "  "
                    + translate(N_("... and more failed contacts: {count}")).format(
                        count=len(self.failures) - MAX_LISTED_FAILURES
                    )
                )
            sections.append(translate(N_("Failed contacts:")) + "\n" + "\n".join(lines))
        if self.warnings:
            lines = [
                f"  {lead_id}: {warning.code}: "
                + describe_warning(warning.code, warning.field, translate, warning.message)
                for lead_id, warning in self.warnings
            ]
            sections.append(translate(N_("Warnings:")) + "\n" + "\n".join(lines))
        return "\n\n".join(sections) + "\n"

    def _summary(self, translate: Translate) -> str:
        schema = self.schema
        if schema.format == "fixed":
            layout = translate(N_("fixed width, {length} {unit} per line")).format(
                length=schema.line_length, unit=schema.width_unit
            )
        else:
            layout = translate(N_("delimited by {delimiter!r}, quoting {quoting}")).format(
                delimiter=schema.delimiter, quoting=schema.quoting
            )
        heading = translate(
            N_("Schema {name}: {layout}, {encoding}, {ending} line endings")
        ).format(
            name=schema.name,
            layout=layout,
            encoding=schema.encoding,
            ending=schema.line_ending.upper(),
        )
        counts = translate(
            N_("Sample contacts read: {read}. Rendered as data records: {shown}. Failed: {failed}.")
        ).format(read=self.read, shown=self.rendered, failed=len(self.failures))
        lines = [heading, counts]
        if self.rendered > self.shown:
            lines.append(
                translate(N_("Records shown below: the first {shown} (--lines).")).format(
                    shown=self.shown
                )
            )
        if self.read >= MAX_SAMPLE_CONTACTS:
            lines.append(
                translate(N_("Only the first {count} sample contacts were checked.")).format(
                    count=MAX_SAMPLE_CONTACTS
                )
            )
        if self.repeated:
            lines.append(
                translate(N_("Repeated lead ids skipped, as a batch skips them: {count}.")).format(
                    count=self.repeated
                )
            )
        if self.example_values and (schema.header or schema.trailer):
            lines.append(
                translate(
                    N_(
                        "Header and trailer records show example batch values "
                        "(campaign, event, dates, sequence), not a real batch's."
                    )
                )
            )
        return "\n".join(lines)


def sample_preview(
    schema: Schema,
    contacts: Iterable[Mapping[str, Any]],
    lines: int = 10,
    *,
    variables: BatchVariables | None = None,
    id_field: str = "id",
    translate: Translate = _english,
) -> SchemaPreview:
    """Render the first *lines* data records of *contacts* with the header and trailer records.

    Every sample contact is rendered, up to :data:`MAX_SAMPLE_CONTACTS`, so the
    counts and failures cover the whole sample. The first *lines* that render
    are kept for the preview, with their warnings. A contact's lead id is its
    *id_field* value, or its 1-based position when that is empty. Header and
    trailer records use *variables*, by default example values. *translate*
    is used for the ruler's note about byte widths.
    """
    sample = _sample(schema, contacts, lines, id_field)
    batch = variables or attrs.evolve(EXAMPLE_VARIABLES, schema=schema.name)
    buffer = io.BytesIO()
    render_file(schema, [sample.accepted], buffer, batch)
    return SchemaPreview(
        schema=schema,
        records=_records_text(schema, buffer.getvalue(), translate),
        shown=len(sample.accepted),
        rendered=sample.rendered,
        read=sample.read,
        failures=tuple(sample.failures),
        warnings=tuple(sample.warnings),
        repeated=sample.repeated,
        example_values=variables is None,
    )


def preview(
    schema: Schema,
    contacts: Iterable[Mapping[str, Any]],
    lines: int = 10,
    *,
    variables: BatchVariables | None = None,
    id_field: str = "id",
) -> str:
    """Return :func:`sample_preview`'s result as English text.

    Fixed-width previews start with a column ruler; failed contacts follow the
    records with their reason code and message, and so do warnings.
    """
    return sample_preview(schema, contacts, lines, variables=variables, id_field=id_field).render()


MAX_SAMPLE_CONTACTS = 100_000
"""Sample contacts checked at most; a larger sample is read only this far."""

MAX_LISTED_FAILURES = 20
"""Failed sample contacts listed one per line; the rest are counted."""


@attrs.define
class _Sample:
    accepted: list[tuple[str, Mapping[str, Any]]] = attrs.Factory(list)
    failures: list[tuple[str, LeadFailure]] = attrs.Factory(list)
    warnings: list[tuple[str, LeadWarning]] = attrs.Factory(list)
    read: int = 0
    repeated: int = 0
    rendered: int = 0


def _sample(
    schema: Schema, contacts: Iterable[Mapping[str, Any]], lines: int, id_field: str
) -> _Sample:
    """Render every sample contact, up to :data:`MAX_SAMPLE_CONTACTS`, skipping repeated lead ids.

    The first *lines* that render are kept for the preview; every failure is kept.
    """
    program = schema.compiled.data
    sample = _Sample()
    if lines <= 0:
        return sample
    seen: set[str] = set()
    for position, contact in enumerate(contacts, start=1):
        if sample.read >= MAX_SAMPLE_CONTACTS:
            break
        sample.read += 1
        lead_id = str(contact.get(id_field) or position).strip()
        if lead_id in seen:
            sample.repeated += 1
            continue
        seen.add(lead_id)
        contact = with_lead_id(contact, lead_id)
        lead_warnings: list[LeadWarning] = []
        try:
            program.render(contact, lead_warnings)
        except LeadProblem as problem:
            sample.failures.append((lead_id, problem.to_failure()))
            continue
        sample.rendered += 1
        if len(sample.accepted) < lines:
            sample.accepted.append((lead_id, contact))
            sample.warnings.extend((lead_id, warning) for warning in lead_warnings)
    return sample


def _records_text(schema: Schema, content: bytes, translate: Translate) -> str:
    codec = schema.compiled.codec
    text = content[len(codec.bom) :].decode(codec.name)
    separator = schema.line_separator
    if text.endswith(separator):
        text = text[: -len(separator)]
    body = text.replace(separator, "\n")
    if schema.format != "fixed" or schema.line_length is None:
        return body
    ruler = column_ruler(schema.line_length)
    if schema.width_unit == "bytes":
        note = translate(N_("(the ruler counts characters; this schema measures bytes)"))
        ruler = f"{note}\n{ruler}"
    return f"{ruler}\n{body}"
