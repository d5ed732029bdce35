"""Generate one Python function per data record that renders a lead in a single call.

:meth:`FieldProgram.evaluate` decides on every call which steps apply to its
field: whether it has a default, transforms, a width limit, which writer pads
or quotes it. The function generated here takes those decisions once per
schema. It runs the steps of every field inline, in the same order, and calls
the same transforms, converters, encodability and overflow helpers, so it
returns the line that :meth:`RecordProgram.render` returns, raises the same
:class:`LeadProblem` and appends the same warnings. The only values written
into the generated source are field indexes, integer limits and booleans;
every other constant and helper reaches it through its namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aspectfile_core.domain.model import LeadWarning
from aspectfile_core.schema.conversions import ConversionError

if TYPE_CHECKING:
    from aspectfile_core.schema.compiler import FieldProgram, RecordProgram

DataRenderer = Callable[[Mapping[str, Any], list[LeadWarning]], tuple[bytes, tuple[Any, ...]]]
"""Render one lead: return the encoded line and the typed values of the numeric fields."""


class _Source:
    """The lines of the generated function and the namespace its names refer to."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.lines: list[str] = []
        self.namespace = namespace

    def add(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def bind(self, name: str, value: Any) -> str:
        self.namespace[name] = value
        return name


def build_data_renderer(record: RecordProgram, lead_problem: type[Exception]) -> DataRenderer:
    """Return the generated renderer of *record*; *lead_problem* is the ``LeadProblem`` class."""
    source = _Source(
        {
            "LeadProblem": lead_problem,
            "ConversionError": ConversionError,
        }
    )
    source.add(0, "def render_data(source, warnings):")
    source.add(1, "get = source.get")
    for index, program in enumerate(record.programs):
        _emit_evaluate(source, index, program)
    for index, program in enumerate(record.programs):
        _emit_write(source, index, program, fixed=record.fixed)
    _emit_line(source, record)
    numbers = "".join(f"n{index}, " for index, _ in record.numeric)
    source.add(1, f"return line, ({numbers})")

    code = compile("\n".join(source.lines), "<aspectfile data record>", "exec")
    # The source holds only field indexes, integer limits and names bound in the namespace.
    exec(code, source.namespace)
    renderer: DataRenderer = source.namespace["render_data"]
    return renderer


def _emit_evaluate(source: _Source, index: int, program: FieldProgram) -> None:
    """Emit steps 1-8 of one field, up to the overflow check, into ``t<index>`` and ``n<index>``.

    The emitted code handles the common inputs itself: printable text that is
    not blank after the transforms, and a plain int for an integer field
    without transforms. Every other input (None, blank text, text with
    control characters, other types, templates and constants) goes to
    :meth:`FieldProgram.evaluate`, which applies defaults, ``required`` and
    the rest of the general rules.
    """
    i = index
    evaluate = source.bind(f"EVAL{i}", program.evaluate)
    if program.source_key is None:
        source.add(1, f"t{i}, n{i} = {evaluate}(source, warnings)")
        return

    key = source.bind(f"K{i}", program.source_key)
    source.add(1, f"raw = get({key})")
    if program.spec.type == "integer" and not program.transforms:
        # convert_integer returns str(value) and the value itself for a plain int.
        source.add(1, "if raw.__class__ is int:")
        source.add(2, f"t{i} = str(raw)")
        source.add(2, f"n{i} = raw")
        _emit_fit(source, i, program, indent=2, ascii_text=True)
        source.add(1, "elif raw.__class__ is str and raw.isprintable():")
    else:
        source.add(1, "if raw.__class__ is str and raw.isprintable():")
    source.add(2, "v = raw")
    for number, transform in enumerate(program.transforms):
        name = source.bind(f"TR{i}_{number}", transform)
        source.add(2, f"v = {name}(v)")
    source.add(2, "if v and not v.isspace():")
    if program.is_string:
        source.add(3, f"t{i} = n{i} = v")
    else:
        convert = source.bind(f"CONV{i}", program.convert)
        field_name = source.bind(f"NAME{i}", program.name)
        source.add(3, "try:")
        source.add(4, f"t{i}, n{i} = {convert}(v)")
        source.add(3, "except ConversionError as error:")
        source.add(4, f"raise LeadProblem(error.code, {field_name}, error.value) from None")
    _emit_fit(source, i, program, indent=3)
    source.add(2, "else:")
    source.add(3, f"t{i}, n{i} = {evaluate}(source, warnings)")
    source.add(1, "else:")
    source.add(2, f"t{i}, n{i} = {evaluate}(source, warnings)")


def _emit_fit(
    source: _Source, i: int, program: FieldProgram, *, indent: int, ascii_text: bool = False
) -> None:
    """Emit steps 7 and 8: the ``unencodable`` policy, then ``overflow`` past the field's width.

    Pass *ascii_text* when the text is known to be ASCII, as ``str()`` of an int is.
    """
    encodable = source.bind(f"ENC{i}", program.make_encodable)
    if not program.ascii_compatible:
        source.add(indent, f"t{i} = {encodable}(t{i})")
    elif not ascii_text:
        source.add(indent, f"if not t{i}.isascii():")
        source.add(indent + 1, f"t{i} = {encodable}(t{i})")

    limit = program.limit
    if limit is None:
        return
    fit = source.bind(f"FIT{i}", program.fit)
    if program.measure_bytes:
        source.add(indent, f"t{i} = {fit}(t{i}, warnings)")
        return
    source.add(indent, f"if len(t{i}) > {int(limit)}:")
    source.add(indent + 1, f"t{i} = {fit}(t{i}, warnings)")


def _emit_write(source: _Source, index: int, program: FieldProgram, *, fixed: bool) -> None:
    """Emit the padding or quoting of one field's text into ``w<index>``."""
    i = index
    writer = source.bind(f"W{i}", program.write)
    spec = program.spec
    if fixed and not program.measure_bytes and spec.align == "left":
        pad = source.bind(f"PAD{i}", spec.pad)
        source.add(1, f"w{i} = t{i}.ljust({int(spec.length or 0)}, {pad})")
        return
    if fixed or program.minimal_quoting is None:
        source.add(1, f"w{i} = {writer}(t{i})")
        return

    # Minimal quoting: quote only a value that contains a special character.
    empty, specials = program.minimal_quoting
    empty_name = source.bind(f"EMPTY{i}", empty)
    checks = " or ".join(
        f"{source.bind(f'S{i}_{number}', character)} in t{i}"
        for number, character in enumerate(specials)
    )
    source.add(1, f"if not t{i}:")
    source.add(2, f"w{i} = {empty_name}")
    if checks:
        source.add(1, f"elif {checks}:")
        source.add(2, f"w{i} = {writer}(t{i})")
    source.add(1, "else:")
    source.add(2, f"w{i} = t{i}")


def _emit_line(source: _Source, record: RecordProgram) -> None:
    if not record.fixed:
        delimiter = source.bind("DELIMITER", record.delimiter)
        encoding = source.bind("ENCODING", record.encoding)
        parts = ", ".join(f"w{index}" for index in range(len(record.programs)))
        source.add(1, f"line = {delimiter}.join(({parts},)).encode({encoding})")
        return

    parts_list: list[str] = []
    for number, (gap, index) in enumerate(record.layout):
        if gap:
            parts_list.append(source.bind(f"GAP{number}", gap))
        parts_list.append(f"w{index}")
    if record.tail:
        parts_list.append(source.bind("TAIL", record.tail))
    parts = ", ".join(parts_list)
    if record.in_bytes:
        source.add(1, f"line = b''.join(({parts},))")
        return
    encoding = source.bind("ENCODING", record.encoding)
    source.add(1, f"line = ''.join(({parts},)).encode({encoding})")
