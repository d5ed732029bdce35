"""The aspectfile-run command end to end: SQLite file and local folder in a scratch directory."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Run

CONTACTS = (
    "id,firstname,lastname,email\n"
    "1,José,Araújo,jose@exemplo.com.br\n"
    "2,Maria, da  Silva ,maria@exemplo.com.br\n"
    ",Sem,Id,semid@exemplo.com.br\n"
    "4,Ana,Souza\n"
    "5,Sem,Email,\n"
)


def prepare(run: Run, tmp_path: Path, csv_schema: Path) -> Path:
    assert run("db", "upgrade").returncode == 0
    assert run("schema", "add", str(csv_schema)).returncode == 0
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    return contacts


def test_demo_writes_file(run: Run, tmp_path: Path) -> None:
    """demo creates the database, processes the sample contacts and prints the stored file."""
    result = run("demo")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "aspectfile.db").exists()
    stored = list((tmp_path / "aspectfile-files").rglob("*.*"))
    assert len(stored) == 1
    assert str(stored[0]) in result.stdout
    assert "Uploaded" in result.stdout
    assert "25 total" in result.stdout


def test_enqueue_reports_rejected_rows(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """Rows without an id or with the wrong column count are rejected by line; the rest are added; exit 1."""
    contacts = prepare(run, tmp_path, csv_schema)

    result = run("enqueue", "--schema", "e2e-csv", "--campaign", "3", "--event", "9", str(contacts))

    assert result.returncode == 1
    assert "Added 3 leads to batch 1." in result.stdout
    assert "line 4 rejected: no value in the id column 'id'" in result.stderr
    assert (
        "line 5 rejected: the row does not match the header: values 3, columns 4" in result.stderr
    )


def test_process_then_show_json(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """process writes one file; show --json reports counts and each lead's status and reason."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "3", "--event", "9", str(contacts))

    processed = run("process")
    shown = run("show", "1", "--json")

    assert processed.returncode == 0, processed.stderr
    assert "Uploaded: 1." in processed.stdout
    document = json.loads(shown.stdout)
    assert document["status"] == "UPLOADED"
    assert document["counts"] == {"total": 3, "pending": 0, "generated": 2, "failed": 1}
    reasons = {lead["lead_id"]: lead["reason"] for lead in document["leads"]}
    assert reasons["1"] is None
    assert reasons["5"]["code"] == "missing_required"
    stored = Path(document["file_url"])
    assert stored.read_text(encoding="utf-8").splitlines() == [
        "id;name;email",
        "1;José Araújo;jose@exemplo.com.br",
        "2;Maria da Silva;maria@exemplo.com.br",
    ]
    assert document["file_size"] == stored.stat().st_size


def test_json_lines_from_stdin(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """enqueue - reads JSON Lines from standard input."""
    prepare(run, tmp_path, csv_schema)
    lines = '{"id": 10, "firstname": "Ívina", "lastname": "Lobão", "email": "i@x.br"}\n{"id": 11, "email": "b@x.br"}\n'

    result = run(
        "enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", "-", input=lines
    )

    assert result.returncode == 0, result.stderr
    assert "Added 2 leads" in result.stdout


def test_csv_with_bom(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """A UTF-8 byte order mark does not end up in the first column name."""
    prepare(run, tmp_path, csv_schema)
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,email\n7,a@b.br\n".encode())

    result = run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(path))

    assert result.returncode == 0, result.stderr


def test_unknown_id_column_exit_2(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """A missing id column is a usage error that lists the columns."""
    contacts = prepare(run, tmp_path, csv_schema)

    result = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--id-column",
        "cpf",
        str(contacts),
    )

    assert result.returncode == 2
    assert "'cpf'" in result.stderr
    assert "firstname" in result.stderr


def test_list_pages(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """list shows 20 batches a page, newest first, and --json carries the totals."""
    prepare(run, tmp_path, csv_schema)
    path = tmp_path / "one.csv"
    path.write_text("id,email\n1,a@b.br\n", encoding="utf-8")
    for event in range(1, 22):
        run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", str(event), str(path))

    first = json.loads(run("list", "--json").stdout)
    second = json.loads(run("list", "--page", "2", "--json").stdout)
    text = run("list").stdout

    assert (first["total"], first["pages"], len(first["batches"])) == (21, 2, 20)
    assert first["batches"][0]["id"] == 21
    assert [batch["id"] for batch in second["batches"]] == [1]
    assert "Page 1 of 2. Batches: 21." in text


def test_list_empty(run: Run) -> None:
    """An empty database prints what to do next."""
    run("db", "upgrade")

    result = run("list")

    assert result.returncode == 0
    assert "No batches yet" in result.stdout


def test_reprocess_and_delete(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """reprocess of an UPLOADED batch needs --force; delete --yes removes it; unknown ids exit 2."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(contacts))
    run("process")

    refused = run("reprocess", "1")
    forced = run("reprocess", "1", "--force")
    deleted = run("delete", "1", "--yes")
    missing = run("show", "1")

    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert forced.returncode == 0
    assert deleted.returncode == 0
    assert missing.returncode == 2
    assert "Batch 1 not found." in missing.stderr


def test_delete_asks_first(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """delete without --yes asks, and a 'no' keeps the batch."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(contacts))

    result = run("delete", "1", input="n\n")

    assert result.returncode == 1
    assert "Nothing deleted." in result.stdout
    assert run("show", "1").returncode == 0


def test_tables_missing_exit_2(run: Run) -> None:
    """Commands before db upgrade explain what to run."""
    result = run("list")

    assert result.returncode == 2
    assert "aspectfile-run db upgrade" in result.stderr


def test_bad_database_url_exit_2(run: Run) -> None:
    """An unusable database URL is a configuration error naming the URL."""
    result = run("--database", "nonsense", "list")

    assert result.returncode == 2
    assert "nonsense" in result.stderr


def test_unknown_option_exit_2(run: Run) -> None:
    """Usage errors exit with 2."""
    assert run("process", "--bogus").returncode == 2
    assert run("show", "abc").returncode == 2


def test_invalid_schema_lists_problems(run: Run, tmp_path: Path) -> None:
    """schema add reports each problem with its path and exits 2."""
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad name!"\nformat = "fixed"\n[[fields]]\nname = "a"\nvalue = "x"\nlength = 0\n',
        encoding="utf-8",
    )

    result = run("schema", "add", str(path))

    assert result.returncode == 2
    assert "fields[0].length" in result.stderr
    assert "Traceback" not in result.stderr


def test_portuguese_messages(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """LANG=pt_BR or --locale pt_BR gives Portuguese messages and help."""
    run("db", "upgrade")

    from_env = run("list", locale_env={"LANG": "pt_BR.UTF-8"})
    from_option = run("--locale", "pt_BR", "show", "99")
    help_text = run("--locale", "pt_BR", "--help")

    assert "Nenhum lote" in from_env.stdout
    assert "Lote 99 não encontrado." in from_option.stderr
    assert "Uso:" in help_text.stdout
    assert "Gera arquivos" in help_text.stdout


def test_schema_check_previews(run: Run, csv_schema: Path, tmp_path: Path) -> None:
    """schema check validates without registering and previews records from a sample."""
    sample = tmp_path / "sample.csv"
    sample.write_text(CONTACTS, encoding="utf-8")

    result = run("schema", "check", str(csv_schema), "--sample", str(sample), "--lines", "2")

    assert (
        result.returncode == 1
    )  # lines 4 and 5 of the sample are rejected, as enqueue rejects them
    assert "Schema 'e2e-csv' is valid" in result.stdout
    assert "1;José Araújo;jose@exemplo.com.br" in result.stdout
    assert run("schema", "list").returncode == 2  # nothing was registered, not even the tables


def test_schema_check_fixed_ruler(run: Run) -> None:
    """schema check of a fixed-width schema prints a column ruler over the bundled sample."""
    import aspectfile_core

    bundled = Path(aspectfile_core.__file__).parent / "data" / "schemas" / "sample-fixed.toml"

    result = run("schema", "check", str(bundled), "--lines", "1")

    assert result.returncode == 0, result.stderr
    assert "1234567890" in result.stdout
    assert "JOSÉ" in result.stdout


def test_schema_import_layout(run: Run, tmp_path: Path) -> None:
    """schema import turns a layout table into a TOML skeleton that schema check accepts."""
    layout = tmp_path / "layout.csv"
    layout.write_text(
        "No.,Name,Data Type,Access Type,Offset,Length\n"
        "1,RECORD_TYPE,STRING,Read,1,1\n"
        "2,PHONE,NUMBER,Read,2,11\n"
        "3,NAME,STRING,Read,13,30\n",
        encoding="utf-8",
    )

    imported = run("schema", "import", str(layout), "--name", "vendor-layout")
    again = run("schema", "import", str(layout), "--name", "vendor-layout")
    checked = run("schema", "check", "vendor-layout.toml", "--lines", "0")

    assert imported.returncode == 0, imported.stderr
    assert (tmp_path / "vendor-layout.toml").exists()
    assert again.returncode == 2
    assert "--force" in again.stderr
    assert checked.returncode == 0, checked.stderr


def test_failed_reason_in_portuguese(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """show lists failed leads with the reason in the operator's language."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(contacts))
    run("process")

    english = run("show", "1")
    portuguese = run("--locale", "pt_BR", "show", "1")

    assert "5: email: required, but the value is empty" in english.stdout
    assert "Leads com falha:" in portuguese.stdout
    assert "5: email:" in portuguese.stdout
    assert "required, but" not in portuguese.stdout


def test_process_prints_progress_lines(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """Without a terminal, process writes a progress line per batch to standard error."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "3", "--event", "9", str(contacts))

    processed = run("process")

    assert processed.returncode == 0, processed.stderr
    assert "Batch 1: leads processed: 3 of 3." in processed.stderr
    assert "leads processed" not in processed.stdout


def test_process_quiet_hides_progress(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """process --quiet writes no progress, only the report."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "3", "--event", "9", str(contacts))

    processed = run("process", "--quiet")

    assert processed.returncode == 0, processed.stderr
    assert "leads processed" not in processed.stderr
    assert "Uploaded: 1." in processed.stdout


def test_semicolon_csv_detected(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """A semicolon-separated export (a Brazilian spreadsheet's default) is read without options."""
    prepare(run, tmp_path, csv_schema)
    path = tmp_path / "excel.csv"
    path.write_text("id;firstname;lastname;email\n1;Ana;Lima, Souza;a@b.br\n", encoding="utf-8")

    result = run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(path))
    pipe = tmp_path / "pipe.txt"
    pipe.write_text("id|email\n2|c@d.br\n", encoding="utf-8")
    forced = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--delimiter",
        "|",
        str(pipe),
    )

    assert result.returncode == 0, result.stderr
    assert "Added 1 lead to batch" in result.stdout
    assert forced.returncode == 0, forced.stderr


def test_empty_file_exit_1(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """A file with a header and no rows adds nothing and reports it."""
    prepare(run, tmp_path, csv_schema)
    path = tmp_path / "empty.csv"
    path.write_text("id,email\n", encoding="utf-8")

    result = run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(path))

    assert result.returncode == 1
    assert "has no contact rows" in result.stderr


def test_delete_confirms_in_portuguese(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """The Portuguese prompt takes 's' for yes."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(contacts))

    result = run("--locale", "pt_BR", "delete", "1", input="s\n")

    assert result.returncode == 0, result.stderr
    assert "[s/N]" in result.stdout
    assert "Lote 1 excluído." in result.stdout


def test_failed_batch_error_and_status_in_portuguese(run: Run, tmp_path: Path) -> None:
    """A FAILED batch's error and status read in Portuguese although an English worker recorded them."""
    run("db", "upgrade")
    schema = tmp_path / "strict.toml"
    schema.write_text(
        'name = "strict"\nformat = "delimited"\ndelimiter = ";"\n'
        '[[fields]]\nname = "email"\nsource = "email"\nrequired = true\n',
        encoding="utf-8",
    )
    run("schema", "add", str(schema))
    contacts = tmp_path / "no-email.csv"
    contacts.write_text("id,email\n1,\n2,\n", encoding="utf-8")
    run("enqueue", "--schema", "strict", "--campaign", "1", "--event", "1", str(contacts))
    processed = run("process")
    assert processed.returncode == 1
    assert "Batch 1 failed: the file would have no data records" in processed.stdout
    assert "ERROR" not in processed.stderr

    english = run("show", "1")
    portuguese = run("show", "1", locale_env={"LANG": "pt_BR.UTF-8"})
    listed = run("--locale", "pt_BR", "list")

    assert "the file would have no data records (leads: 2, failed: 2)" in english.stdout
    assert "Failed" in english.stdout
    assert "o arquivo ficaria sem registros de dados (leads: 2, com falha: 2)" in portuguese.stdout
    assert "Com falha" in portuguese.stdout
    assert "would have no data records" not in portuguese.stdout
    assert "FAILED" not in listed.stdout


def test_unsupported_locale_is_refused_in_the_environments_language(run: Run) -> None:
    """--locale fr_FR under LANG=pt_BR explains the refusal in Portuguese and exits 2."""
    result = run("--locale", "fr_FR", "list", locale_env={"LANG": "pt_BR.UTF-8"})

    assert result.returncode == 2
    assert "'fr_FR'" in result.stderr
    assert "não é suportado" in result.stderr


def test_configuration_error_detail_in_portuguese(run: Run) -> None:
    """The detail of a database error is translated, not only its frame."""
    result = run("--locale", "pt_BR", "list")

    assert result.returncode == 2
    assert "Erro de configuração: faltam tabelas no banco de dados" in result.stderr
    assert "tables are missing" not in result.stderr


def test_schema_check_fails_when_no_sample_contact_renders(
    run: Run, csv_schema: Path, tmp_path: Path
) -> None:
    """schema check exits 1 and prints why when every sample contact fails."""
    sample = tmp_path / "sample.csv"
    sample.write_text("id,firstname,lastname,email\n1,A,B,\n2,C,D,\n", encoding="utf-8")

    result = run("schema", "check", str(csv_schema), "--sample", str(sample))

    assert result.returncode == 1
    assert "Sample contacts read: 2. Rendered as data records: 0. Failed: 2." in result.stdout
    assert (
        "A batch of these sample contacts would fail: the file would have no data" in result.stderr
    )


def test_schema_check_no_rows_read(
    run: Run, csv_schema: Path, tmp_path: Path
) -> None:
    """A sample whose every row is rejected is a failed check, not a passed one."""
    sample = tmp_path / "sample.csv"
    sample.write_text("id,firstname,lastname,email\n1,A\n2,C\n", encoding="utf-8")

    result = run("schema", "check", str(csv_schema), "--sample", str(sample))

    assert result.returncode == 1
    assert "Sample contacts read: 0." in result.stdout


def test_schema_check_applies_batch_policies_and_skips_repeats(run: Run, tmp_path: Path) -> None:
    """Repeated ids are skipped as a batch skips them, and max_invalid_ratio is checked."""
    schema = tmp_path / "ratio.toml"
    schema.write_text(
        'name = "ratio"\nformat = "delimited"\nmax_invalid_ratio = 0.5\n'
        '[[fields]]\nname = "email"\nsource = "email"\nrequired = true\n',
        encoding="utf-8",
    )
    sample = tmp_path / "sample.csv"
    sample.write_text("id,email\n1,a@b.c\n1,a@b.c\n2,\n3,\n", encoding="utf-8")

    result = run("schema", "check", str(schema), "--sample", str(sample))

    assert result.returncode == 1
    assert "Repeated lead ids skipped, as a batch skips them: 1." in result.stdout
    assert "more than max_invalid_ratio 0.5" in result.stderr


def test_headerless_delimiter_found_from_columns(
    run: Run, tmp_path: Path, csv_schema: Path
) -> None:
    """Without --delimiter, the delimiter that gives as many values as --columns names wins."""
    prepare(run, tmp_path, csv_schema)
    headerless = tmp_path / "dialer.txt"
    headerless.write_text('1|{"a": 1, "b": 2}|Ana|ana@exemplo.com.br\n', "utf-8")

    result = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--columns",
        "id,extra,firstname,email",
        str(headerless),
    )

    assert result.returncode == 0, result.stderr
    assert "Added 1 lead to batch" in result.stdout


def test_repeated_column_names_rejected(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """--columns with a name twice is a usage error naming it."""
    prepare(run, tmp_path, csv_schema)
    headerless = tmp_path / "dialer.txt"
    headerless.write_text("1,2,3\n", "utf-8")

    result = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--columns",
        "id,id,x",
        str(headerless),
    )

    assert result.returncode == 2
    assert "'id,id,x' names id more than once" in result.stderr


def test_latin1_file_error_names_the_line(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """A file that is not UTF-8 is rejected with the line of the first bad byte."""
    prepare(run, tmp_path, csv_schema)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,firstname,lastname,email\n1,José,A,a@b.c\n".encode("latin-1"))

    result = run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(latin1))

    assert result.returncode == 2
    assert "latin1.csv is not UTF-8 (line 2); save it as UTF-8" in result.stderr


def test_nothing_added_reads_plainly(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """A file whose contacts are all in the batch already reports that no lead was added."""
    contacts = prepare(run, tmp_path, csv_schema)
    run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(contacts))

    again = run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(contacts))

    assert "No lead added. Already in the batch or repeated in the file: 3." in again.stdout


def test_schema_check_preview_in_portuguese(run: Run, csv_schema: Path, tmp_path: Path) -> None:
    """The preview's summary and failure reasons follow the operator's language."""
    sample = tmp_path / "sample.csv"
    sample.write_text(CONTACTS, encoding="utf-8")

    result = run("--locale", "pt_BR", "schema", "check", str(csv_schema), "--sample", str(sample))

    assert result.returncode == 1  # two rejected rows
    assert "Contatos da amostra lidos: 3." in result.stdout
    assert "Contatos com falha:" in result.stdout
    assert "required, but the value is empty" not in result.stdout


def test_singular_lead_count(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """One added contact is reported as one lead, not "1 leads"."""
    prepare(run, tmp_path, csv_schema)
    one = tmp_path / "one.csv"
    one.write_text("id,firstname,lastname,email\n1,A,B,a@b.c\n", encoding="utf-8")

    result = run("enqueue", "--schema", "e2e-csv", "--campaign", "1", "--event", "1", str(one))

    assert "Added 1 lead to batch 1." in result.stdout


def test_headerless_file_read_with_columns(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """--columns names the columns of a file without a header row; its first line is a contact."""
    prepare(run, tmp_path, csv_schema)
    headerless = tmp_path / "dialer.txt"
    headerless.write_text(
        "1|José|Araújo|jose@exemplo.com.br\n2|Ana|Souza|ana@exemplo.com.br\n", "utf-8"
    )

    result = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--delimiter",
        "pipe",
        "--columns",
        "id,firstname,lastname,email",
        str(headerless),
    )

    assert result.returncode == 0, result.stderr
    assert "Added 2 leads to batch 1." in result.stdout


def test_columns_without_the_id_column_exit_2(run: Run, tmp_path: Path, csv_schema: Path) -> None:
    """--columns that leave out the id column is an input error naming both."""
    prepare(run, tmp_path, csv_schema)
    headerless = tmp_path / "dialer.txt"
    headerless.write_text("1,José\n", "utf-8")

    result = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--columns",
        "code,name",
        str(headerless),
    )
    empty_name = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--columns",
        "id,,name",
        str(headerless),
    )

    assert result.returncode == 2
    assert "the id column 'id' is not in --columns (code, name)" in result.stderr
    assert empty_name.returncode == 2
    assert "'id,,name' has an empty column name" in empty_name.stderr


def test_unknown_schema_reported_before_the_file(
    run: Run, tmp_path: Path, csv_schema: Path
) -> None:
    """enqueue names an unknown schema first, even when the file is also wrong."""
    prepare(run, tmp_path, csv_schema)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,name\n1,A\n", "utf-8")

    result = run("enqueue", "--schema", "nosuch", "--campaign", "1", "--event", "1", str(wrong))

    assert result.returncode == 2
    assert "Schema 'nosuch' not found" in result.stderr
    assert "id column" not in result.stderr


def test_schema_check_lists_rejected_sample_rows(
    run: Run, csv_schema: Path, tmp_path: Path
) -> None:
    """Rows of the sample that are not contacts are listed by line, as enqueue lists them."""
    sample = tmp_path / "sample.csv"
    sample.write_text(CONTACTS, encoding="utf-8")

    result = run("schema", "check", str(csv_schema), "--sample", str(sample))

    assert "sample.csv: line 4 rejected: no value in the id column 'id'" in result.stderr
    assert (
        "line 5 rejected: the row does not match the header: values 3, columns 4" in result.stderr
    )


def test_missing_file_and_bad_number_in_portuguese(run: Run) -> None:
    """click's own errors about a missing file or a bad id read in Portuguese."""
    missing = run(
        "--locale",
        "pt_BR",
        "enqueue",
        "--schema",
        "s",
        "--campaign",
        "1",
        "--event",
        "1",
        "nada.csv",
    )
    bad_id = run("--locale", "pt_BR", "show", "abc")
    help_text = run("--locale", "pt_BR", "enqueue", "--help")

    assert missing.returncode == 2
    assert "'nada.csv' não existe; confira o caminho." in missing.stderr
    assert "No such file" not in missing.stderr
    assert bad_id.returncode == 2
    assert "integer range" not in bad_id.stderr
    assert "obrigatório" in help_text.stdout
    assert "[required]" not in help_text.stdout


def test_schema_example_lists_and_writes(run: Run, tmp_path: Path) -> None:
    """schema example lists the shipped examples and writes one to adapt; it refuses to overwrite."""
    listed = run("schema", "example")
    written = run("schema", "example", "semicolon-dialer")
    again = run("schema", "example", "semicolon-dialer")
    unknown = run("schema", "example", "nope")

    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "genesys-csv",
        "sample-fixed",
        "semicolon-dialer",
        "vicidial-pipe",
    ]
    assert written.returncode == 0, written.stderr
    assert 'name = "semicolon-dialer"' in (tmp_path / "semicolon-dialer.toml").read_text("utf-8")
    assert run("schema", "check", "semicolon-dialer.toml").returncode == 0
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert unknown.returncode == 2
    assert "the examples are: genesys-csv, sample-fixed" in unknown.stderr


def test_headerless_delimiter_chosen_over_several_lines(
    run: Run, tmp_path: Path, csv_schema: Path
) -> None:
    """A first line whose commas happen to give the right count does not decide the delimiter."""
    prepare(run, tmp_path, csv_schema)
    headerless = tmp_path / "dialer.txt"
    headerless.write_text(
        "1|a,b|Ana,c|d\n2|x|Bia|bia@exemplo.com.br\n3|y|Caio|caio@exemplo.com.br\n", "utf-8"
    )

    result = run(
        "enqueue",
        "--schema",
        "e2e-csv",
        "--campaign",
        "1",
        "--event",
        "1",
        "--columns",
        "id,extra,firstname,email",
        str(headerless),
    )

    assert result.returncode == 0, result.stderr
    assert "Added 3 leads to batch" in result.stdout
