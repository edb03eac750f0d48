"""Structured data from a CSV file (redes para dados estruturados), without pandas.

:func:`load_csv` splits a table into what a network eats: the numeric columns
as one float matrix, each categorical column as integer codes (for an
``Embedding`` or a one-hot encoding), and the target. The category → code
mapping (the *vocabulary*) comes back with the data, so the test file can be
encoded with the training vocabulary.

Codes of categorical features run from 1 to k in the sorted vocabulary; 0 is
kept for a missing (empty) value and for a category the vocabulary does not
know, as Keras's ``StringLookup`` keeps an out-of-vocabulary index (and as
``Embedding(mask_zero=True)`` expects). A text target is coded 0 to k-1 instead,
ready for ``sparse_categorical_crossentropy``.
"""

from __future__ import annotations

import csv
import dataclasses
import os

import numpy as np

from treino.backend import floatx

__all__ = ["TabularData", "load_csv"]

MISSING = 0
"""The code of a missing or unknown category in a categorical feature."""


@dataclasses.dataclass(frozen=True)
class TabularData:
    """What :func:`load_csv` returns.

    Attributes:
        x_numeric: the numeric columns, floatx ``(n, len(numeric_columns))``.
        x_categorical: column → int64 codes ``(n,)``: ``1..k`` index the
            vocabulary (code ``i`` is ``vocabularies[column][i - 1]``), ``0`` is
            missing or unknown.
        y: the target ``(n,)`` — floatx when numeric, int64 codes ``0..k-1``
            when text — or ``None`` without a target.
        vocabularies: column → sorted list of its categories, for each
            categorical column and a text target; pass it to the next
            :func:`load_csv` call to encode another file the same way.
        numeric_columns: names of the columns of ``x_numeric``, in order.
        categorical_columns: names of the keys of ``x_categorical``, in order.
        target: the target column's name, or ``None``.
    """

    x_numeric: np.ndarray
    x_categorical: dict[str, np.ndarray]
    y: np.ndarray | None
    vocabularies: dict[str, list[str]]
    numeric_columns: list[str]
    categorical_columns: list[str]
    target: str | None

    def __len__(self) -> int:
        return len(self.x_numeric)

    def __repr__(self) -> str:
        y = "None" if self.y is None else f"{self.y.dtype}{self.y.shape}"
        return (
            f"TabularData(rows={len(self)}, numeric_columns={self.numeric_columns}, "
            f"categorical_columns={self.categorical_columns}, target={self.target!r}, y={y})"
        )


def load_csv(
    path,
    target=None,
    categorical=(),
    columns=None,
    delimiter=",",
    vocabularies=None,
    encoding="utf-8",
) -> TabularData:
    """Read a CSV file with a header row into numeric features, category codes and a target.

    Every feature column not named in ``categorical`` must hold numbers; a text
    or empty cell there is an error that names the column and the line.

    Args:
        path: the CSV file; its first row names the columns.
        target: the column to predict, or ``None``. Numbers give a float target;
            text (or a column also listed in ``categorical``) gives codes 0..k-1.
        categorical: names of the text-valued columns (those left out by
            ``columns`` are ignored).
        columns: the feature columns to keep, in this order (default: every
            column except ``target``).
        delimiter: the field separator (``";"`` for many Brazilian spreadsheets).
        vocabularies: the ``vocabularies`` of an earlier result, to encode this
            file with the same codes (a test file with the training vocabulary);
            its categories unknown here become code 0.
        encoding: the file's text encoding (a UTF-8 byte-order mark is skipped).

    Returns:
        A :class:`TabularData`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: undecodable text, a malformed or ragged CSV, an unknown
            column, a missing or non-numeric value in a numeric column.

    Example:
        >>> import os, tempfile
        >>> f = os.path.join(tempfile.mkdtemp(), "casas.csv")
        >>> with open(f, "w", encoding="utf-8") as out:
        ...     _ = out.write("area,bairro,preco\\n70,Centro,300\\n120,Lapa,520\\n95,Centro,410\\n")
        >>> train = load_csv(f, target="preco", categorical=["bairro"])
        >>> train.x_numeric
        array([[ 70.], [120.], [ 95.]], dtype=float32)
        >>> train.x_categorical["bairro"], train.vocabularies["bairro"]
        (array([1, 2, 1]), ['Centro', 'Lapa'])
        >>> train.y
        array([300., 520., 410.], dtype=float32)
    """
    path = os.fspath(path)
    if isinstance(categorical, str):
        categorical = [categorical]
    categorical = list(dict.fromkeys(categorical))
    header, rows, lines = _read_rows(path, delimiter, encoding)

    def missing(kind, name):
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            hint = " (is the file separated by something else? pass delimiter=';' or '\\t')"
        return ValueError(
            f"{kind} column '{name}' is not in '{path}'; its columns are: "
            f"{', '.join(repr(h) for h in header)}{hint}"
        )

    if target is not None and target not in header:
        raise missing("target", target)
    if columns is None:
        features = [h for h in header if h != target]
    else:
        features = list(columns)
        for name in features:
            if name not in header:
                raise missing("feature", name)
        if target is not None and target in features:
            raise ValueError(f"columns lists the target column '{target}' as a feature too")
    for name in categorical:
        if name not in header:
            raise missing("categorical", name)

    index = {name: i for i, name in enumerate(header)}
    values = {name: [row[index[name]] for row in rows] for name in features}
    numeric = [name for name in features if name not in categorical]
    cat_names = [name for name in features if name in categorical]
    vocabularies = dict(vocabularies) if vocabularies is not None else None

    x_numeric = np.empty((len(rows), len(numeric)), dtype=floatx())
    for j, name in enumerate(numeric):
        x_numeric[:, j] = _parse_numbers(values[name], name, path, lines)

    x_categorical, vocab_out = {}, {}
    for name in cat_names:
        vocab = _vocabulary(values[name], name, vocabularies)
        lookup = {category: code for code, category in enumerate(vocab, start=1)}
        x_categorical[name] = np.array(
            [lookup.get(v, MISSING) for v in values[name]], dtype=np.int64
        )
        vocab_out[name] = vocab

    y = None
    if target is not None:
        raw = [row[index[target]] for row in rows]
        for value, line in zip(raw, lines, strict=True):
            if value == "":
                raise ValueError(f"'{path}', line {line}: the target '{target}' is empty")
        is_text = target in categorical or (vocabularies is not None and target in vocabularies)
        if not is_text:
            try:
                y = np.array(raw, dtype=np.float64)
            except ValueError:
                is_text = True
            else:
                bad = np.flatnonzero(~np.isfinite(y))
                if len(bad):
                    raise ValueError(
                        f"'{path}', line {lines[bad[0]]}: the target '{target}' holds "
                        f"{raw[bad[0]]!r}, not a finite number"
                    )
                y = y.astype(floatx())
        if is_text:
            vocab = _vocabulary(raw, target, vocabularies)
            lookup = {category: code for code, category in enumerate(vocab)}
            for value, line in zip(raw, lines, strict=True):
                if value not in lookup:
                    raise ValueError(
                        f"'{path}', line {line}: target '{target}' has the class {value!r}, "
                        f"which the given vocabulary {vocab} does not contain"
                    )
            y = np.array([lookup[v] for v in raw], dtype=np.int64)
            vocab_out[target] = vocab

    return TabularData(
        x_numeric=x_numeric,
        x_categorical=x_categorical,
        y=y,
        vocabularies=vocab_out,
        numeric_columns=numeric,
        categorical_columns=cat_names,
        target=target,
    )


def _read_rows(path: str, delimiter: str, encoding: str):
    """(header, rows, line number of each row): stripped cells, blank lines skipped."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'")
    rows, lines = [], []
    try:
        with open(path, newline="", encoding=encoding) as f:
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            header = None
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                cells = [cell.strip() for cell in row]
                if header is None:
                    header = cells
                    continue
                if len(cells) != len(header):
                    raise ValueError(
                        f"'{path}', line {reader.line_num}: the row has {len(cells)} fields but "
                        f"the header has {len(header)} ({', '.join(header)})"
                    )
                rows.append(cells)
                lines.append(reader.line_num)
    except UnicodeDecodeError:
        raise ValueError(_decode_error_message(path, encoding)) from None
    except csv.Error as error:
        raise ValueError(
            f"'{path}' is not a readable CSV file (line {reader.line_num}: {error})"
        ) from None
    if header is None:
        raise ValueError(f"'{path}' is empty: expected a header row naming the columns")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates or "" in header:
        raise ValueError(
            f"'{path}': every column needs a distinct name in the header row; "
            f"found {header}" + (f" (repeated: {duplicates})" if duplicates else "")
        )
    return header, rows, lines


def _decode_error_message(path: str, encoding: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    try:
        data.decode(encoding)
        where = ""
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        where = f" (line {line}: byte 0x{data[error.start]:02x} at offset {error.start})"
    return (
        f"'{path}' is not {encoding.removesuffix('-sig')} text{where}; re-save it as UTF-8 "
        "or pass encoding='latin-1' (or the encoding it was written in)"
    )


def _parse_numbers(cells: list[str], name: str, path: str, lines: list[int]) -> np.ndarray:
    try:
        numbers = np.array(cells, dtype=np.float64)
    except ValueError:
        numbers = None
    if numbers is not None and np.all(np.isfinite(numbers)):
        return numbers
    for cell, line in zip(cells, lines, strict=True):
        where = f"'{path}', line {line}"
        if cell == "":
            raise ValueError(
                f"{where}: missing value in the numeric column '{name}'; "
                "fill it in or remove the row"
            )
        try:
            number = float(cell)
        except ValueError:
            raise ValueError(
                f"{where}: the numeric column '{name}' holds the text {cell!r}, not a number; "
                f"if '{name}' is categorical, add it to categorical=[...]"
            ) from None
        if not np.isfinite(number):
            raise ValueError(f"{where}: column '{name}' holds {cell!r}, not a finite number")
    raise AssertionError("unreachable")  # pragma: no cover


def _vocabulary(cells: list[str], name: str, given: dict | None) -> list[str]:
    if given is None:
        return sorted({cell for cell in cells if cell != ""})
    if name not in given:
        raise ValueError(f"vocabularies has no entry for column '{name}'; it has: {sorted(given)}")
    return list(given[name])
