"""The one writer of indicator values, shared by `itdd publish` (etl/publish.py) and the
dashboard's download links, so that both give the same files; it sits on the shared floor so
that neither half imports the other.

Three formats (FORMATS), each named by the suffix after the indicator id:
- `<id>.csv`, the open data: UTF-8, comma, the exact values (the shortest text that reads
  back as the same float);
- `<id>-fr.csv`, for a spreadsheet set to French: `;`, decimal comma, UTF-8 with a BOM (so
  Excel reads "Mérignac"), values rounded to the indicator's `decimals`;
- `<id>.xlsx`, a workbook: the rounded values, and a sheet of metadata (definition, unit,
  sources, licences, editions, provenance).

Columns: indicator_id, level, code, name, year, value, unit, status. A missing or
secret value is an empty cell and its status says why (missing is not zero).
Rows are in a fixed order (level from commune to France, code, year), and nothing depends
on the clock, so the same database always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from itdd.model import DOWNLOAD, LEVELS, NAME, sql_level_list

# The columns of every download, described once (itdd.model.DOWNLOAD: the Data Package's schema, the workbook).
COLUMN_MEANINGS = {f.name: f.description for f in DOWNLOAD.fields}
TIDY_COLUMNS = DOWNLOAD.columns
TEXT_COLUMNS = ["indicator_id", "level", "code", "name", "unit", "status"]  # year and value are numbers
# A cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LEVEL_ORDER = list(LEVELS)  # commune up to France
# The folder of a publication (`itdd publish`) holding these files; the static site links its downloads there.
DATA_DIR = "donnees"

# Decimals of an indicator's values in the downloads for people (the French CSV, the workbook),
# by unit, where the indicator declares no `decimals` (the catalogue fills it from here);
# any other unit gets DEFAULT_DECIMALS. The open data (donnees/<id>.csv, .parquet) keeps the exact values.
DECIMALS_BY_UNIT = {
    "habitants": 0,
    "exploitations": 0,
    "€ par an": 0,
    "%": 1,
    "‰": 1,
    "hab./km²": 1,
    "indice (0-100)": 1,
}
DEFAULT_DECIMALS = 2


def default_decimals(unit: object) -> int:
    return DECIMALS_BY_UNIT.get(unit, DEFAULT_DECIMALS) if isinstance(unit, str) else DEFAULT_DECIMALS


def tidy_values(
    con: duckdb.DuckDBPyConnection, indicator_id: str, level: str | None = None, year: int | None = None
) -> pd.DataFrame:
    """The tidy rows of one indicator, optionally one level and/or one year."""
    return con.execute(
        f"""
        SELECT v.indicator_id, v.level, v.code, coalesce(t.name, v.code) AS name, v.year, v.value,
               i.unit, v.status
        FROM indicator_values AS v
        JOIN indicators AS i USING (indicator_id)
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE v.indicator_id = $1 AND ($2 IS NULL OR v.level = $2) AND ($3 IS NULL OR v.year = $3)
        ORDER BY list_position({sql_level_list()}, v.level), v.code, v.year
        """,  # noqa: S608 (level list from itdd.model; values as parameters)
        [indicator_id, level, year],
    ).df()[TIDY_COLUMNS]


def csv_text(rows: pd.DataFrame) -> str:
    """`rows` (TIDY_COLUMNS) as CSV text: UTF-8, comma, '\\n' line ends, shortest exact floats;
    text cells that a spreadsheet would run as a formula are defused."""
    buffer = io.StringIO()
    shown = _defused(rows.astype({"year": "Int64"}).assign(value=rows["value"].map(_shortest)))
    shown.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _shortest(value: float) -> str:
    """The shortest text that reads back as the same float; '2492' rather than '2492.0'."""
    if pd.isna(value):
        return ""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _defused(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (a frame of the caller's own) with each text cell through `defuse_formula`."""
    for column in TEXT_COLUMNS:
        rows[column] = rows[column].map(defuse_formula)
    return rows


def defuse_formula(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading `'` (shown as text); others unchanged."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell


class ExportError(Exception):
    """The values cannot be written in the asked format (too many rows for a worksheet)."""


@dataclass(frozen=True)
class Format:
    suffix: str  # after the indicator id: population-fr.csv
    mimetype: str
    rounded: bool  # to the indicator's decimals (downloads for people); the open data is exact


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "csv": Format(".csv", "text/csv", rounded=False),
    "csv_fr": Format("-fr.csv", "text/csv", rounded=True),
    "xlsx": Format(".xlsx", XLSX_MIMETYPE, rounded=True),
}
DOWNLOAD_NAME = re.compile(
    rf"(?P<indicator_id>{NAME.pattern.strip('^$')})(?P<suffix>{'|'.join(re.escape(f.suffix) for f in FORMATS.values())})"
)


def file_name(indicator_id: str, fmt: str) -> str:
    return f"{indicator_id}{FORMATS[fmt].suffix}"


def parse_file_name(name: str) -> tuple[str, str] | None:
    """(indicator id, format) of a download's file name (`population-fr.csv`), or None."""
    found = DOWNLOAD_NAME.fullmatch(name)
    if found is None:
        return None
    return found["indicator_id"], next(k for k, f in FORMATS.items() if f.suffix == found["suffix"])


@dataclass(frozen=True)
class Description:
    """What a download for people says of its indicator, read from the built catalogue."""

    indicator_id: str
    label: str
    unit: str
    decimals: int
    definition: str
    limits: str
    sources: pd.DataFrame  # source_id, producer, title, licence, edition, url
    provenance: pd.DataFrame  # source_id, url, fetched_at, sha256

    @property
    def recorded(self) -> datetime:
        """The last download of its sources: a recorded date, never the clock (1980 without one)."""
        dates = sorted(str(d) for d in self.provenance["fetched_at"].dropna())
        return datetime.fromisoformat(dates[-1]).replace(tzinfo=None) if dates else ZIP_EPOCH


ZIP_EPOCH = datetime(1980, 1, 1)  # the earliest date a zip entry can hold


def describe(con: duckdb.DuckDBPyConnection, indicator_id: str) -> Description:
    row = con.execute(
        "SELECT label_fr, unit, definition_fr, limits_fr, sources, metadata FROM indicators WHERE indicator_id = ?",
        [indicator_id],
    ).fetchone()
    label, unit, definition, limits, source_ids, metadata = row
    declared = json.loads(metadata).get("decimals") if metadata else None  # a build older than `decimals`
    wanted = [s for s in (source_ids or "").split(",") if s]
    sources = con.execute(
        """SELECT source_id, producer, title, licence, edition, url FROM sources
           WHERE list_contains($1, source_id) ORDER BY list_position($1, source_id)""",
        [wanted],
    ).df()
    provenance = con.execute(
        """SELECT source_id, url, fetched_at, sha256 FROM provenance
           WHERE list_contains($1, source_id) ORDER BY list_position($1, source_id), url""",
        [wanted],
    ).df()
    decimals = default_decimals(unit) if declared is None else int(declared)
    return Description(indicator_id, label, unit, decimals, definition or "", limits or "", sources, provenance)


def rounded(rows: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """`rows` with values rounded to `decimals`; missing and secret values stay empty (never 0)."""
    return rows.assign(value=rows["value"].round(decimals) + 0.0)  # + 0.0: no "-0"


def download(
    con: duckdb.DuckDBPyConnection,
    rows: pd.DataFrame,
    indicator_id: str,
    fmt: str,
    description: Description | None = None,
) -> bytes:
    """`rows` (TIDY_COLUMNS, from `tidy_values`) written in format `fmt` (a key of FORMATS);
    `description`: the indicator's (`describe`), when the caller has it already."""
    if fmt == "csv":
        return csv_text(rows).encode("utf-8")
    description = description or describe(con, indicator_id)
    shown = rounded(rows, description.decimals)
    if fmt == "csv_fr":
        return french_csv(shown, description.decimals)
    return workbook(shown, description)


def french_csv(rows: pd.DataFrame, decimals: int) -> bytes:
    """CSV as a spreadsheet set to French reads it: `;`, decimal comma, UTF-8 with a BOM."""
    shown = _defused(
        rows.astype({"year": "Int64"}).assign(
            value=rows["value"].map(lambda v: "" if pd.isna(v) else f"{v:.{decimals}f}".replace(".", ","))
        )
    )
    return "\ufeff".encode() + shown.to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8")


EXCEL_MAX_ROWS = 1_048_576  # a worksheet's rows, header included


def workbook(rows: pd.DataFrame, description: Description) -> bytes:
    """An .xlsx workbook: sheet "Valeurs" (the rows, numbers as numbers), sheet "Métadonnées".

    Written with XlsxWriter: in memory, its zip entries carry a fixed date, and the document's
    dates are the sources' recorded one, so that the same values give the same bytes. Text is
    always written as text (`_text_cell`), never read as a formula, a number or a link."""
    import xlsxwriter

    if len(rows) + 1 > EXCEL_MAX_ROWS:
        raise ExportError(
            f"{description.indicator_id}: {len(rows):,} rows do not fit in a worksheet; "
            "filter by level or year (niveau, annee), or take the CSV"
        )
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    book.set_properties({"title": description.label, "author": "itdd", "created": description.recorded})
    values = book.add_worksheet("Valeurs")
    for column, width in enumerate((24, 12, 12, 36, 8, 14, 16, 12)):
        values.set_column(column, column, width)
    values.freeze_panes(1, 0)
    values.write_row(0, 0, TIDY_COLUMNS)
    number = book.add_format(
        {"num_format": "#,##0" + ("." + "0" * description.decimals if description.decimals else "")}
    )
    value_column = TIDY_COLUMNS.index("value")
    columns = [_cells(rows[name]) for name in TIDY_COLUMNS]
    for row, cells in enumerate(zip(*columns, strict=True), start=1):  # by rows: the order strings are shared in
        for column, cell in enumerate(cells):
            if type(cell) is str:
                values.write_string(row, column, cell)
            elif cell is not None:  # a year, or a value in the indicator's format
                values.write_number(row, column, cell, number if column == value_column else None)
            elif column == value_column:  # missing or secret: an empty cell, still in the format
                values.write_blank(row, column, None, number)
    about = book.add_worksheet("Métadonnées")
    about.set_column(0, 0, 28)
    about.set_column(1, 1, 100)
    for row, line in enumerate(metadata_lines(description)):
        about.write_row(row, 0, [_text_cell(cell) for cell in line])
    book.close()
    return out.getvalue()


def metadata_lines(description: Description) -> list[tuple[str, str]]:
    """The metadata sheet, (field, value) per line, in French like the site."""
    d = description
    lines = [
        ("Indicateur", f"{d.label} ({d.indicator_id})"),
        ("Définition", d.definition),
        ("Unité", d.unit),
        (
            "Précision",
            f"valeurs arrondies {ROUNDED_TO.get(d.decimals, f'à {d.decimals} décimales')} ; les valeurs exactes "
            f"sont dans le fichier de données ouvertes {file_name(d.indicator_id, 'csv')}",
        ),
    ]
    if d.limits:
        lines.append(("Limites", d.limits))
    for s in d.sources.itertuples():
        lines += [
            ("Source", f"{s.producer} — {s.title} ({s.source_id})"),
            ("  Licence", s.licence),
            ("  Édition du producteur", _text(s.edition) or "non précisée"),
            ("  Adresse", _text(s.url)),
        ]
    for p in d.provenance.itertuples():
        lines.append(("Téléchargement", f"{p.source_id} : {p.url}, le {p.fetched_at}, sha256 {p.sha256}"))
    lines += [
        ("Statuts", STATUS_NOTE),
        *((f"Colonne {name}", meaning) for name, meaning in COLUMN_MEANINGS.items()),
    ]
    return lines


ROUNDED_TO = {0: "à l'unité", 1: "à une décimale"}
STATUS_NOTE = (
    "ok : valeur connue ; incomplete : agrégat calculé sans une partie de ses membres ; "
    "secret : valeur couverte par le secret statistique ; missing : valeur non disponible. "
    "Une valeur secrète ou manquante est une cellule vide, jamais 0."
)
# Characters a worksheet cannot hold (its XML cannot): control characters but tab, LF and CR.
ILLEGAL_IN_CELL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cells(column: pd.Series) -> list:
    """A column's cells as the worksheet takes them: None for an empty one (an empty text too),
    text through `_text_cell`, once per distinct text."""
    cells = column.astype(object).where(column.notna(), None).tolist()
    if column.name not in TEXT_COLUMNS:
        return cells
    written = {cell: _text_cell(cell) for cell in set(cells)}
    return [written[cell] or None for cell in cells]


def _text_cell(value: object) -> object:
    """A text cell as a worksheet may hold it, never run as a formula."""
    if isinstance(value, str):
        return defuse_formula(ILLEGAL_IN_CELL.sub("", value))
    return None if value is None or pd.isna(value) else value


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
