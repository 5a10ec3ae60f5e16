"""A plain reference of the C-MAPSS text format, and hypothesis strategies writing such files.

The reference (``spec_table``, ``spec_fleet``, ``spec_folder``) restates the
format the reader promises in the simplest code possible, so the fuzz test can
compare the reader's fast path against it. The strategies write train/test/RUL
files with every kind of damage, and tables with absurd spikes whose correct
repair (``expected_repair``) is computed cell by cell.
"""

from __future__ import annotations

import gzip
import itertools
import math
import re
import zlib

import numpy as np
from hypothesis import strategies as st

from core.data.cmapss import COLUMNS, READINGS
from tests.helpers.csv_tables import ODD_CELLS, damaged, mostly, text_cells

SPIKES = [1e30, -1e30, 1e13]
ENCODINGS = ["ascii", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]


# --- the C-MAPSS format, written plainly ---------------------------------------------------


class Bad(Exception):
    """Where the reference says the first problem is (line and column, when it has them)."""

    def __init__(self, row: int | None, column: str | None):
        super().__init__(row, column)
        self.row, self.column = row, column


_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spec_table(raw: bytes, columns: tuple[str, ...]) -> list[tuple[int, list[float]]]:
    """(line, numbers) of every non-blank line; BOMs and any line ending allowed."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            raw = raw.decode("utf-16").encode()
        except UnicodeError:
            raise Bad(None, None) from None
    rows = []
    for number, line in enumerate(re.split(rb"\r\n|\r|\n", raw), start=1):
        fields = re.split(rb"[ \t]+", line.strip(b" \t")) if line.strip(b" \t") else []
        if fields and len(fields) != len(columns):
            raise Bad(number, None)
        for name, field in zip(columns, fields, strict=False):
            if not (_NUMBER.fullmatch(field) and math.isfinite(float(field))):
                raise Bad(number, name)
        if fields:
            rows.append((number, [float(field) for field in fields]))
    if not rows:
        raise Bad(None, None)
    return rows


def spec_fleet(rows: list[tuple[int, list[float]]]) -> None:
    """Whole unit ids, then cycles rising within a unit, then each unit in one block."""
    for line, values in rows:
        if values[0] != round(values[0]) or abs(values[0]) >= 2**53:
            raise Bad(line, "unit")
    for (_, before), (line, values) in itertools.pairwise(rows):
        if values[0] == before[0] and values[1] <= before[1]:
            raise Bad(line, "cycle")
    seen, previous = set(), None
    for line, values in rows:
        if values[0] != previous and values[0] in seen:
            raise Bad(line, "unit")
        seen.add(values[0])
        previous = values[0]


def spec_folder(files: dict[str, bytes]) -> dict[str, list] | tuple[str, Bad]:
    """Rows of train and test, or the file and place of the first problem, in reading order."""
    parsed: dict[str, list] = {}
    for kind in ("train", "test", "RUL"):
        name = next(name for name in files if name.startswith(kind))
        try:
            raw = files[name]
            if name.endswith(".gz"):
                try:
                    raw = gzip.decompress(raw)
                except (OSError, EOFError, zlib.error):
                    raise Bad(None, None) from None
            if kind == "RUL":
                spec_truth(spec_table(raw, ("RUL",)), parsed["test"])
            else:
                parsed[kind] = spec_table(raw, COLUMNS)
                spec_fleet(parsed[kind])
        except Bad as bad:
            return name, bad
    return parsed


def spec_truth(rows: list, test_rows: list) -> None:
    if len(rows) != len({values[0] for _, values in test_rows}):
        raise Bad(None, None)
    for line, (value,) in rows:
        if value < 0:
            raise Bad(line, "RUL")


# --- fuzzing the C-MAPSS reader ------------------------------------------------------------

DAMAGES = ["field", "field", "ragged", "cycle", "shuffle"]
PLAIN_SPECIALS = ["1.5e3", "+.5", "-0", "5.", "007", "1E-3", "1e-400", "1e30", "-1e13"]


def plain_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` well-formed fields: integers, decimals, and now and then an odd spelling or a
    huge value (numpy-drawn: hypothesis spends its effort on the damage instead)."""
    kinds = rng.integers(0, 200, n)
    return [
        str(rng.integers(-(10**6), 10**6))
        if kind < 90
        else f"{rng.uniform(-1e4, 1e4):.4f}"
        if kind < 199
        else PLAIN_SPECIALS[rng.integers(len(PLAIN_SPECIALS))]
        for kind in kinds
    ]


odd_fields = (
    st.sampled_from(
        [*ODD_CELLS, "1e30", "True", "1.5", "1d5", "٣", "+nan", "Infinity", "\x00", "\x0c"]
    )
    | text_cells
)


@st.composite
def table_rows(draw) -> list[list[str]]:
    """Units with a few cycles each; in about a third of the tables, one to three damages:
    a bad field, a ragged row, a cycle that does not increase, rows out of unit order."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lengths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    rows = [
        [str(unit), str(cycle), *plain_numbers(rng, 24)]
        for unit, length in enumerate(lengths, start=1)
        for cycle in range(1, length + 1)
    ]
    damages = st.lists(st.sampled_from(DAMAGES), min_size=1, max_size=3)
    for damage in draw(st.one_of(st.just([]), st.just([]), damages)):
        at = draw(st.integers(0, len(rows) - 1))
        if damage == "field":
            rows[at][draw(st.integers(0, 25))] = draw(odd_fields)
        elif damage == "ragged":
            rows[at] = rows[at][:-1] if draw(st.booleans()) else [*rows[at], "1.0"]
        elif damage == "cycle":
            rows[at][1] = draw(st.sampled_from(["0", "-1", "1", rows[at - 1][1]]))
        else:
            rows = draw(st.permutations(rows))
    return rows


def layout(draw, rows: list[list[str]]) -> bytes:
    """Rows as text: spaces or tabs, any line ending, stray blank lines, some encoding."""
    sep = draw(st.sampled_from([" ", "\t", "  "]))
    end = draw(mostly(st.just(sep), st.just(""), st.just("\t \t")))
    lines = [sep.join(row) + end for row in rows]
    if lines and draw(st.integers(0, 10)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " ", "\t"])))
    newline = draw(mostly(st.sampled_from(["\n", "\r\n"]), st.just("\r"), st.just("\n\n")))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    encoding = draw(mostly(st.just("ascii"), st.sampled_from(ENCODINGS), st.just("ascii")))
    return text.encode(encoding, errors="replace")


def stored(draw, data: bytes) -> tuple[str, bytes]:
    """The file as plain text or gzip; rarely damaged gzip, random bytes or nothing."""
    rare = st.sampled_from(["damaged", "random", "empty"])
    how = draw(mostly(st.sampled_from(["txt", "gz"]), rare, rare, odds=25))
    if how == "txt":
        return ".txt", data
    if how == "gz":
        return ".txt.gz", gzip.compress(data, mtime=0)
    if how == "damaged":
        return ".txt.gz", draw(damaged(st.just(gzip.compress(data, mtime=0))))
    return ".txt", b"" if how == "empty" else draw(st.binary(max_size=200))


@st.composite
def cmapss_folders(draw) -> dict[str, bytes]:
    """train_/test_/RUL_FD001 files, mostly consistent, with every kind of damage."""
    files = {}
    test_rows = draw(table_rows())
    n_test = len({row[0] for row in test_rows})
    truth = [str(draw(st.integers(0, 300))) for _ in range(n_test)]
    truth = draw(mostly(st.just(truth), st.just(truth[:-1]), st.just([*truth, "-1"]), odds=20))
    if truth and draw(st.integers(0, 20)) == 0:
        truth[draw(st.integers(0, len(truth) - 1))] = draw(odd_fields)
    for kind, rows in (("train", draw(table_rows())), ("test", test_rows), ("RUL", [truth])):
        rows = [[cell] for cell in rows[0]] if kind == "RUL" else rows
        suffix, data = stored(draw, layout(draw, rows))
        files[f"{kind}_FD001{suffix}"] = data
    return files


# --- tables with spikes -------------------------------------------------------------------


@st.composite
def spiked_tables(draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit ids, plain readings (two decimals, |x| <= 1000) and the same with a few spikes.

    Readings this tame (below the 1e6 floor) are never absurd, so the spikes are
    exactly the cells the readers must flag.
    """
    lengths = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    units = np.repeat(np.arange(1, len(lengths) + 1), lengths)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    clean = rng.integers(-100_000, 100_001, (len(units), len(READINGS))) / 100
    spiked = clean.copy()
    values = st.sampled_from([*SPIKES, -5e12, 1e300])
    cells = st.tuples(st.integers(0, len(units) - 1), st.integers(0, len(READINGS) - 1), values)
    for i, j, value in draw(st.lists(cells, max_size=8)):
        spiked[i, j] = value
    return units, clean, spiked


def expected_repair(units, clean, spiked, medians=None) -> np.ndarray:
    """Each spike takes the unit's nearest earlier plain reading, else the next one, else the
    column median (``medians``, else the file's plain cells, else 0)."""
    out = spiked.copy()
    bad = clean != spiked
    for i, j in zip(*np.nonzero(bad), strict=True):
        same = np.flatnonzero((units == units[i]) & ~bad[:, j])
        earlier, later = same[same < i], same[same > i]
        if len(earlier) or len(later):
            out[i, j] = clean[earlier[-1] if len(earlier) else later[0], j]
        elif medians is not None:
            out[i, j] = medians[j]
        else:
            out[i, j] = np.median(clean[~bad[:, j], j]) if (~bad[:, j]).any() else 0.0
    return out


def cmapss_text(units, values) -> str:
    cycles = [int((units[: i + 1] == u).sum()) for i, u in enumerate(units)]
    return "".join(
        f"{u} {c} " + " ".join(repr(float(x)) for x in row) + "\n"
        for u, c, row in zip(units, cycles, values, strict=True)
    )
