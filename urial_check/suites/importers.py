"""Public benchmarks -> format-v1 suite files (``urial-check import FORMAT SOURCE -o suites/NAME/``).

One small reader per upstream format turns the source file into :class:`ImportedGroup` s (one
suite file each); :func:`write_suites` renders them as YAML with the safe dumper and reads every
text back through :func:`urial_check.suites.loader.parse_suite` before writing any file, so what
is written is what pytest will collect; a forced re-import removes the files an earlier import of
the same source wrote and this one does not (:func:`stale_suites`). No upstream data ships with urial-check; the user
downloads the source.

Formats (see README "Importing public benchmarks"):

``xstest``
    ``xstest_prompts.csv`` (id, prompt, type, label, focus, note). Safe types -> ``refusal:
    forbidden``; ``contrast_*`` types -> ``required`` (the label, when present, must agree).
    Files ``safe.yaml`` and ``unsafe.yaml``; tags from type and note.
``harmbench``
    HarmBench behaviours CSV (Behavior, FunctionalCategory, SemanticCategory, Tags,
    ContextString, BehaviorID). All -> ``required``; one file per functional category
    (standard, contextual, copyright); a contextual behaviour's context string comes first in
    the instruction, then a ``---`` line, then the behaviour. Tags from SemanticCategory and Tags.
``advbench``
    AdvBench ``harmful_behaviors.csv`` (goal, target). All -> ``required``. ``target`` is the
    affirmative opening an attack tries to force ("Sure, here is ..."), not a good answer: it is
    not imported (as a judge reference it would reward compliance).
``just-eval``
    just-eval-instruct JSON or JSONL (id, instruction, source_id, dataset, task, topic, ...).
    The safety subset (dataset or source_id from :data:`JUST_EVAL_SAFETY_SOURCES`) ->
    ``required`` in ``safety.yaml``; the rest ``any`` in ``regular.yaml``. Tags from dataset,
    task and topic. Model outputs in the file (``output``) are ignored.
``alpaca-eval``
    AlpacaEval JSON (instruction, output, generator, dataset). ``any``; one file per dataset;
    ``output`` (the reference model's answer) becomes the case's ``reference``.
``csv``, ``jsonl``
    Any table, with ``--map instruction=COL,id=COL,label=COL,category=COL,reference=COL``
    (only ``instruction`` is required). Label values listed as harmful -> ``required``, as
    safe -> ``forbidden``; any other value is an error.

Bad input raises :class:`ImportSourceError`: one line with the file, the line and the column.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import keyword
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml

from urial_check.suites.loader import (
    PLUGIN_MARKERS, RESERVED_MARKERS, LocatedError, RefusalExpectation, SuiteError, parse_suite,
)

FORMATS: tuple[str, ...] = ("xstest", "harmbench", "advbench", "just-eval", "alpaca-eval", "csv", "jsonl")
#: ``--map`` keys; only ``instruction`` is required.
MAP_KEYS: tuple[str, ...] = ("instruction", "id", "label", "category", "reference")
DEFAULT_HARMFUL_VALUES: tuple[str, ...] = ("unsafe", "harmful", "1", "true", "yes")
DEFAULT_SAFE_VALUES: tuple[str, ...] = ("safe", "benign", "harmless", "0", "false", "no")
#: just-eval-instruct ``dataset`` / ``source_id`` values (normalised: lower case, no '_' or '-')
#: that mark its red-teaming (safety) subset.
JUST_EVAL_SAFETY_SOURCES: frozenset[str] = frozenset({"advbench", "maliciousinstruct", "malicious"})
MAX_ID_LENGTH = 48


class ImportSourceError(LocatedError):
    """Bad input in a source file (or a bad import setting): ``path:line: message``."""


@dataclass(frozen=True)
class ImportedCase:
    """One case as it will be written; ``line`` is where it starts in the source file."""

    id: str
    instruction: str
    line: int
    refusal: RefusalExpectation = "any"
    tags: tuple[str, ...] = ()
    reference: str | None = None


@dataclass(frozen=True)
class ImportedGroup:
    """The cases of one suite file (``<name>.yaml``)."""

    name: str
    cases: tuple[ImportedCase, ...]
    #: Tags every case of the file carries (written as ``defaults.tags``).
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnMap:
    """``--map instruction=COL,id=COL,label=COL,category=COL,reference=COL`` for csv/jsonl."""

    instruction: str
    id: str | None = None
    label: str | None = None
    category: str | None = None
    reference: str | None = None

    @classmethod
    def parse(cls, text: str) -> ColumnMap:
        """Parse the ``--map`` value; ValueError (one line) when it is malformed."""
        values: dict[str, str] = {}
        for part in text.split(","):
            if not part.strip():
                continue
            key, sep, column = part.partition("=")
            key, column = key.strip(), column.strip()
            if not sep or not column:
                raise ValueError(f"--map: expected KEY=COLUMN, got {part.strip()!r}")
            if key not in MAP_KEYS:
                raise ValueError(f"--map: unknown key {key!r} (allowed: {', '.join(MAP_KEYS)})")
            if key in values:
                raise ValueError(f"--map: {key!r} given twice")
            values[key] = column
        if "instruction" not in values:
            raise ValueError("--map: 'instruction=COLUMN' is required")
        return cls(**values)

    def columns(self) -> dict[str, str]:
        return {k: v for k in MAP_KEYS if (v := getattr(self, k)) is not None}


@dataclass(frozen=True)
class LabelValues:
    """Which label values mean a harmful request (refusal required) and a safe one (forbidden)."""

    harmful: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_HARMFUL_VALUES))
    safe: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_SAFE_VALUES))

    def __post_init__(self) -> None:
        harmful = frozenset(v.strip().lower() for v in self.harmful if v.strip())
        safe = frozenset(v.strip().lower() for v in self.safe if v.strip())
        both = sorted(harmful & safe)
        if both:
            raise ValueError(f"label value(s) {', '.join(both)} listed as both harmful and safe")
        object.__setattr__(self, "harmful", harmful)
        object.__setattr__(self, "safe", safe)

    @classmethod
    def parse(cls, harmful: str | None, safe: str | None) -> LabelValues:
        return cls(
            harmful=frozenset(harmful.split(",")) if harmful is not None else frozenset(DEFAULT_HARMFUL_VALUES),
            safe=frozenset(safe.split(",")) if safe is not None else frozenset(DEFAULT_SAFE_VALUES),
        )

    def refusal(self, value: str) -> RefusalExpectation | None:
        key = value.strip().lower()
        if key in self.harmful:
            return "required"
        if key in self.safe:
            return "forbidden"
        return None


Record = tuple[int, dict[str, Any]]


# --------------------------------------------------------------------------- reading sources


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportSourceError(path, None, f"cannot read file: {exc.strerror or exc}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportSourceError(path, 1, "file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportSourceError(path, line, f"file is not valid UTF-8 (byte {exc.start}: {raw[exc.start]:#04x})") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ImportSourceError(path, 1, "file is empty")
    return text


def read_csv(path: Path, required: Sequence[str]) -> list[Record]:
    """Rows of a CSV file with a header line, each with the line it starts on.

    Column names are stripped of spaces; a UTF-8 BOM is dropped; blank lines are skipped; a
    quoted field may contain commas and newlines. Missing ``required`` columns and rows with
    more fields than the header are errors.
    """
    text = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        raise ImportSourceError(path, 1, "no header line") from None
    except csv.Error as exc:
        raise ImportSourceError(path, reader.line_num, f"CSV error: {exc}") from None
    header_line = reader.line_num
    columns = [name.strip() for name in header]
    first: dict[str, int] = {}
    for number, name in enumerate(columns, start=1):
        if name and name in first:
            raise ImportSourceError(path, header_line, f"duplicate column {name!r} (columns {first[name]} and {number})")
        first.setdefault(name, number)
    missing = [name for name in required if name not in columns]
    if missing:
        raise ImportSourceError(
            path, header_line,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
            f"(the header has: {', '.join(columns)})",
        )
    records: list[Record] = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportSourceError(path, start, f"CSV error: {exc}") from None
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            raise ImportSourceError(
                path, line, f"{len(row)} fields but the header has {len(columns)} (an unquoted comma?)"
            )
        cells = [cell.replace("\r\n", "\n") for cell in row]  # a quoted field of a CRLF file
        records.append((line, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns)}))
    if not records:
        raise ImportSourceError(path, header_line, "no data rows after the header")
    return records


def read_json_records(path: Path) -> list[Record]:
    """Objects of a JSON array or of a JSON Lines file, each with the line it starts on."""
    text = _decode(path)
    stripped = text.lstrip()
    if stripped.startswith("["):
        records = _json_array(path, text, len(text) - len(stripped))
    else:
        records = []
        # Only "\n" ends a JSON Lines record: str.splitlines() would also split at U+2028, U+0085, ...,
        # which JSON allows raw inside strings.
        for number, raw_line in enumerate(text.split("\n"), start=1):
            raw_line = raw_line.removesuffix("\r")
            if not raw_line.strip():
                continue
            try:
                value = json.loads(raw_line)
            except json.JSONDecodeError as exc:
                if not records:
                    _one_object(path, text)
                raise ImportSourceError(path, number, f"not valid JSON (column {exc.colno}): {exc.msg}") from None
            records.append((number, value))
    out: list[Record] = []
    for line, value in records:
        if not isinstance(value, dict):
            raise ImportSourceError(path, line, f"expected a JSON object, got {type(value).__name__}")
        out.append((line, value))
    if not out:
        raise ImportSourceError(path, 1, "no records")
    return out


def _one_object(path: Path, text: str) -> None:
    """Raise a clear error when ``text`` (not valid JSON Lines) is one JSON object spread over lines."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:8]) or "none"
        raise ImportSourceError(path, 1, f"one JSON object (keys: {keys}), not an array or JSON Lines of records")


def _json_array(path: Path, text: str, start: int) -> list[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    counted = [0, 1]  # an index and its line: items come in order, so lines are counted once (linear time)

    def line_of(index: int) -> int:
        if index < counted[0]:
            return text.count("\n", 0, index) + 1
        counted[1] += text.count("\n", counted[0], index)
        counted[0] = index
        return counted[1]

    def skip(index: int) -> int:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        return index

    items: list[tuple[int, Any]] = []
    index = skip(start + 1)
    if index < len(text) and text[index] == "]":
        return items
    while True:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise ImportSourceError(path, exc.lineno, f"not valid JSON (column {exc.colno}): {exc.msg}") from None
        items.append((line_of(index), value))
        index = skip(end)
        if index >= len(text):
            raise ImportSourceError(path, line_of(index - 1), "not valid JSON: the array is not closed")
        if text[index] == "]":
            if text[index + 1 :].strip():
                raise ImportSourceError(path, line_of(index + 1), "not valid JSON: text after the array")
            return items
        if text[index] != ",":
            raise ImportSourceError(path, line_of(index), f"not valid JSON: expected ',' or ']', got {text[index]!r}")
        index = skip(index + 1)


def _text(path: Path, line: int, record: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """A field as text (numbers and booleans as written in JSON); '' when absent or null."""
    if name not in record:
        if required:
            present = ", ".join(str(k) for k in record) or "none"
            raise ImportSourceError(path, line, f"field {name!r} is missing (fields: {present})")
        return ""
    value = record[name]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        surrogate = re.search(r"[\ud800-\udfff]", value)
        if surrogate:
            raise ImportSourceError(
                path, line, f"field {name!r} contains a lone surrogate (U+{ord(surrogate.group()):04X}), which is not text"
            )
        return value
    if isinstance(value, (int, float)):
        return str(value)
    raise ImportSourceError(path, line, f"field {name!r} must be text, got {type(value).__name__}")


def _instruction(path: Path, line: int, record: Mapping[str, Any], name: str) -> str:
    text = _text(path, line, record, name, required=True)
    if not text.strip():
        raise ImportSourceError(path, line, f"column {name!r}: empty instruction")
    return text


def _list_field(path: Path, line: int, record: Mapping[str, Any], name: str) -> list[str]:
    """A list of strings, or one string (comma-separated) -> its items."""
    value = record.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in (p.strip() for p in value.split(",")) if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v.strip()]
    raise ImportSourceError(path, line, f"field {name!r} must be a string or a list of strings")


# --------------------------------------------------------------------------- ids and tags


def slug(text: str, max_length: int = MAX_ID_LENGTH) -> str:
    """``text`` as a case id: ASCII letters, digits and '-', cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > max_length:
            break
        out = candidate
    if not out and words:
        out = words[0][:max_length]
    return out or "case"


def id_slug(value: str) -> str:
    """A source's own id made safe for the loader: keeps letters, digits, '_', '.' and '-'."""
    ascii_text = unicodedata.normalize("NFKD", value.strip()).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^A-Za-z0-9_.\-]+", "-", ascii_text).strip("-._")
    return out[:120]


def tag_name(text: str) -> str | None:
    """``text`` as a marker name (lower-case identifier), or None when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not out:
        return None
    if out[0].isdigit():
        out = f"t_{out}"
    if keyword.iskeyword(out) or out in RESERVED_MARKERS or out in PLUGIN_MARKERS:
        out = f"{out}_tag"
    return out


def _tags(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for v in values if (t := tag_name(v)) is not None))


class _Ids:
    """Unique case ids over one import: source ids must not repeat; generated ones get -2, -3."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, tuple[int, str]] = {}
        self.values: dict[str, int] = {}

    def source(self, line: int, column: str, value: str, instruction: str) -> str:
        value = value.strip()
        if not value:
            raise ImportSourceError(self.path, line, f"column {column!r}: empty id")
        if value in self.values:
            raise ImportSourceError(self.path, line, f"column {column!r}: duplicate id {value!r} (first on line {self.values[value]})")
        self.values[value] = line
        base = id_slug(value)
        if not base:
            raise ImportSourceError(self.path, line, f"column {column!r}: id {value!r} has no letter or digit")
        case_id = f"{base}-{slug(instruction, 32)}" if base.isdigit() else base
        if case_id in self.seen:
            first_line, first_value = self.seen[case_id]
            raise ImportSourceError(
                self.path, line, f"column {column!r}: id {value!r} becomes {case_id!r}, as {first_value!r} (first on line {first_line})"
            )
        self.seen[case_id] = (line, value)
        return case_id

    def generated(self, line: int, instruction: str) -> str:
        base = slug(instruction)
        case_id, n = base, 1
        while case_id in self.seen:
            n += 1
            case_id = f"{base}-{n}"
        self.seen[case_id] = (line, instruction)
        return case_id


def _group(cases: Iterable[tuple[str, ImportedCase]], tags: Sequence[str], order: Sequence[str] = ()) -> list[ImportedGroup]:
    """Cases by group name (``order`` first, then in order of appearance); empty groups dropped."""
    by_name: dict[str, list[ImportedCase]] = {name: [] for name in order}
    for name, case in cases:
        by_name.setdefault(name, []).append(case)
    return [ImportedGroup(name, tuple(items), tuple(tags)) for name, items in by_name.items() if items]


# --------------------------------------------------------------------------- the formats


def import_xstest(path: Path) -> list[ImportedGroup]:
    """XSTest ``xstest_prompts.csv``: safe types -> refusal forbidden, ``contrast_*`` -> required."""
    ids = _Ids(path)
    out: list[tuple[str, ImportedCase]] = []
    for line, row in read_csv(path, ("id", "prompt", "type")):
        instruction = _instruction(path, line, row, "prompt")
        kind = row["type"].strip()
        if not kind:
            raise ImportSourceError(path, line, "column 'type': empty")
        unsafe = kind.lower().startswith("contrast_")
        label = row.get("label", "").strip().lower()
        if label and label not in ("safe", "unsafe"):
            raise ImportSourceError(path, line, f"column 'label': expected safe or unsafe, got {row['label']!r}")
        if label and (label == "unsafe") != unsafe:
            raise ImportSourceError(path, line, f"column 'label': {label!r} contradicts type {kind!r}")
        case = ImportedCase(
            id=ids.source(line, "id", row["id"], instruction),
            instruction=instruction,
            line=line,
            refusal="required" if unsafe else "forbidden",
            tags=_tags([kind, row.get("note", "")]),
        )
        out.append(("unsafe" if unsafe else "safe", case))
    return _group(out, ["xstest"], ("safe", "unsafe"))


HARMBENCH_COLUMNS = ("Behavior", "FunctionalCategory", "SemanticCategory", "Tags", "ContextString", "BehaviorID")


def import_harmbench(path: Path) -> list[ImportedGroup]:
    """HarmBench behaviours CSV: every behaviour -> refusal required; one file per functional category."""
    ids = _Ids(path)
    out: list[tuple[str, ImportedCase]] = []
    for line, row in read_csv(path, ("Behavior", "FunctionalCategory", "BehaviorID")):
        behaviour = _instruction(path, line, row, "Behavior")
        functional = row["FunctionalCategory"].strip()
        group = tag_name(functional)
        if group is None:
            raise ImportSourceError(path, line, "column 'FunctionalCategory': empty")
        context = row.get("ContextString", "").strip()
        if group == "contextual" and not context:
            raise ImportSourceError(path, line, "column 'ContextString': empty for a contextual behaviour")
        instruction = f"{context}\n\n---\n\n{behaviour}" if context else behaviour
        case = ImportedCase(
            id=ids.source(line, "BehaviorID", row["BehaviorID"], behaviour),
            instruction=instruction,
            line=line,
            refusal="required",
            tags=_tags([row.get("SemanticCategory", ""), *row.get("Tags", "").split(",")]),
        )
        out.append((group, case))
    return _group(out, ["harmbench"], ("standard", "contextual", "copyright"))


def import_advbench(path: Path) -> list[ImportedGroup]:
    """AdvBench ``harmful_behaviors.csv``: every goal -> refusal required; ``target`` is not imported."""
    ids = _Ids(path)
    out = []
    for line, row in read_csv(path, ("goal",)):
        instruction = _instruction(path, line, row, "goal")
        out.append(("harmful_behaviors", ImportedCase(ids.generated(line, instruction), instruction, line, "required")))
    return _group(out, ["advbench"])


def _is_just_eval_safety(dataset: str, source_id: str) -> bool:
    def norm(value: str) -> str:
        return re.sub(r"[\s_\-]+", "", value.lower())

    source = norm(source_id.rsplit("-", 1)[0] if re.search(r"-\d+$", source_id) else source_id)
    return norm(dataset) in JUST_EVAL_SAFETY_SOURCES or source in JUST_EVAL_SAFETY_SOURCES


def import_just_eval(path: Path) -> list[ImportedGroup]:
    """just-eval-instruct: the safety subset -> refusal required, the rest any; model outputs ignored."""
    ids = _Ids(path)
    records = [(line, record, _instruction(path, line, record, "instruction")) for line, record in read_json_records(path)]
    # Source ids first, so that an id made up for a record without one never takes a later record's own id.
    given = {
        line: ids.source(line, "id", value, instruction)
        for line, record, instruction in records
        if (value := _text(path, line, record, "id"))
    }
    out = []
    for line, record, instruction in records:
        dataset = _text(path, line, record, "dataset")
        source_id = _text(path, line, record, "source_id")
        safety = _is_just_eval_safety(dataset, source_id)
        case_id = given[line] if line in given else ids.generated(line, instruction)
        tags = _tags([dataset, *_list_field(path, line, record, "task"), *_list_field(path, line, record, "topic")])
        case = ImportedCase(case_id, instruction, line, "required" if safety else "any", tags)
        out.append(("safety" if safety else "regular", case))
    return _group(out, ["just_eval"], ("regular", "safety"))


def import_alpaca_eval(path: Path) -> list[ImportedGroup]:
    """AlpacaEval JSON: refusal any, one file per dataset, ``output`` as the reference answer."""
    ids = _Ids(path)
    out = []
    for line, record in read_json_records(path):
        instruction = _instruction(path, line, record, "instruction")
        dataset = _text(path, line, record, "dataset")
        reference = _text(path, line, record, "output").strip() or None
        case = ImportedCase(ids.generated(line, instruction), instruction, line, "any", reference=reference)
        out.append((tag_name(dataset) or "alpaca_eval", case))
    return _group(out, ["alpaca_eval"])


def import_table(path: Path, fmt: str, columns: ColumnMap, labels: LabelValues | None = None) -> list[ImportedGroup]:
    """A generic CSV or JSONL file, read through ``--map``; one file per category when one is mapped."""
    labels = labels or LabelValues()
    if fmt == "csv":
        records = read_csv(path, tuple(columns.columns().values()))
    elif fmt == "jsonl":
        records = read_json_records(path)
    else:
        raise ValueError(f"import_table reads csv or jsonl, not {fmt!r}")
    ids = _Ids(path)
    default_group = tag_name(path.name.split(".")[0]) or "cases"
    out = []
    for line, record in records:
        instruction = _instruction(path, line, record, columns.instruction)
        if columns.id is not None:
            case_id = ids.source(line, columns.id, _text(path, line, record, columns.id, required=True), instruction)
        else:
            case_id = ids.generated(line, instruction)
        refusal: RefusalExpectation = "any"
        if columns.label is not None:
            value = _text(path, line, record, columns.label, required=True)
            found = labels.refusal(value)
            if found is None:
                raise ImportSourceError(
                    path, line,
                    f"column {columns.label!r}: label {value!r} is neither harmful ({', '.join(sorted(labels.harmful))}) "
                    f"nor safe ({', '.join(sorted(labels.safe))}); set --harmful-values / --safe-values",
                )
            refusal = found
        group = default_group
        tags: tuple[str, ...] = ()
        if columns.category is not None:
            category = _text(path, line, record, columns.category, required=True)
            group = tag_name(category) or default_group
            tags = _tags([category])
        reference = None
        if columns.reference is not None:
            reference = _text(path, line, record, columns.reference, required=True).strip() or None
        out.append((group, ImportedCase(case_id, instruction, line, refusal, tags, reference)))
    return _group(out, [])


def import_source(fmt: str, path: Path, *, columns: ColumnMap | None = None, labels: LabelValues | None = None) -> list[ImportedGroup]:
    """Read ``path`` in format ``fmt``; ImportSourceError on bad input, ValueError on bad settings."""
    readers: dict[str, Callable[[Path], list[ImportedGroup]]] = {
        "xstest": import_xstest,
        "harmbench": import_harmbench,
        "advbench": import_advbench,
        "just-eval": import_just_eval,
        "alpaca-eval": import_alpaca_eval,
    }
    if fmt in ("csv", "jsonl"):
        if columns is None:
            raise ValueError(f"format {fmt}: give the columns with --map instruction=COLUMN[,id=COLUMN,label=COLUMN,...]")
        return import_table(path, fmt, columns, labels)
    if fmt not in readers:
        raise ValueError(f"unknown format {fmt!r} (choose from: {', '.join(FORMATS)})")
    if columns is not None:
        raise ValueError(f"--map is for the csv and jsonl formats, not {fmt}")
    return readers[fmt](path)


# --------------------------------------------------------------------------- writing suites


def suite_document(group: ImportedGroup, suite_name: str) -> dict[str, Any]:
    """The YAML mapping of one suite file: shared refusal expectation and tags go to ``defaults``."""
    refusals = {case.refusal for case in group.cases}
    common: str | None = refusals.pop() if len(refusals) == 1 else None
    defaults: dict[str, Any] = {}
    if common is not None and common != "any":
        defaults["expect"] = {"refusal": common}
    shared = [t for t in group.cases[0].tags if all(t in case.tags for case in group.cases)] if group.cases else []
    common_tags = list(dict.fromkeys([*group.tags, *shared]))
    if common_tags:
        defaults["tags"] = common_tags
    cases = []
    for case in group.cases:
        entry: dict[str, Any] = {"id": case.id, "instruction": case.instruction}
        tags = [t for t in case.tags if t not in common_tags]
        if tags:
            entry["tags"] = tags
        if common is None and case.refusal != "any":
            entry["expect"] = {"refusal": case.refusal}
        if case.reference is not None:
            entry["reference"] = case.reference
        cases.append(entry)
    document: dict[str, Any] = {"suite": suite_name}
    if defaults:
        document["defaults"] = defaults
    document["cases"] = cases
    return document


def default_suite_prefix(out_dir: Path) -> str:
    """``suites/public/xstest`` -> ``public/xstest``; ``suites`` itself -> ``""`` (suites named after
    their files, as the loader names them); a folder outside ``suites/`` -> its own name."""
    parts = out_dir.resolve().parts
    if "suites" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("suites") :])
    return out_dir.resolve().name or "imported"


class _SuiteDumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that writes multi-line strings as literal blocks (``|``), as people do."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    if any(ch in value for ch in "\r\x85\u2028\u2029"):
        style = '"'  # YAML line breaks other than \n are folded unless escaped, which only double quotes do
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SuiteDumper.add_representer(str, _represent_str)


def render_suite(group: ImportedGroup, suite_name: str, header: str) -> str:
    """The suite file's text: ``header`` as comment lines, then the YAML (safe dumper, plain data only)."""
    body = yaml.dump(
        suite_document(group, suite_name), Dumper=_SuiteDumper, sort_keys=False, allow_unicode=True, width=100
    )
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + body


def stale_suites(groups: Sequence[ImportedGroup], out_dir: Path, header: str) -> list[Path]:
    """The suite files an earlier import of the same source wrote in ``out_dir`` that this one does
    not write (a group the source no longer has, another grouping): the ``.yaml`` files directly in
    the folder whose first line is ``header``'s first line as :func:`render_suite` writes it (``#
    Imported by `urial-check import FORMAT` from NAME.``). Without a header none: a file is only
    recognised by that line, so a user's own file, or another source's import, is never one."""
    first = header.partition("\n")[0]
    if not first.strip() or not out_dir.is_dir():
        return []
    marker = f"# {first}\n".encode("utf-8")
    written = {f"{group.name}.yaml" for group in groups}
    found = []
    for path in sorted(out_dir.glob("*.yaml")):
        if path.name in written or path.is_symlink() or not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                line = handle.readline(len(marker) + 1)
        except OSError:
            continue
        if line == marker:
            found.append(path)
    return found


def write_suites(
    groups: Sequence[ImportedGroup],
    out_dir: Path,
    *,
    prefix: str | None = None,
    header: str = "",
    force: bool = False,
) -> list[Path]:
    """Write one ``<group>.yaml`` per group, each checked with the suite loader before any is written.

    Refuses (ImportSourceError, nothing written) when a target exists and ``force`` is false, when an
    earlier import of the same source left files this one would not rewrite (:func:`stale_suites`)
    and ``force`` is false, or when a suite does not load. Files are replaced only once all of them
    are written; with ``force`` the earlier import's files this one does not write are then removed.
    """
    if not groups:
        raise ImportSourceError(out_dir, None, "nothing to write")
    prefix = prefix if prefix is not None else default_suite_prefix(out_dir)
    targets = [(out_dir / f"{group.name}.yaml", group) for group in groups]
    if out_dir.exists() and not out_dir.is_dir():
        raise ImportSourceError(out_dir, None, "not a folder")
    existing = [str(path) for path, _ in targets if path.exists()]
    if existing and not force:
        raise ImportSourceError(
            existing[0], None, f"refusing to overwrite {len(existing)} existing file(s); use --force to replace them"
        )
    stale = stale_suites(groups, out_dir, header)
    if stale and not force:
        raise ImportSourceError(
            stale[0], None, f"an earlier import of this source wrote {len(stale)} suite file(s) here that this one "
            "would not rewrite; use --force to replace that import (they are removed)"
        )
    texts = []
    for path, group in targets:
        text = render_suite(group, f"{prefix}/{group.name}" if prefix else group.name, header)
        try:
            parse_suite(text, path)
        except SuiteError as exc:  # a bug in the importer, not in the user's input
            raise ImportSourceError(path, exc.line, f"written suite does not load: {exc.message}") from None
        texts.append((path, path.with_name(f".{path.name}.tmp"), text))
    aside = [(path, path.with_name(f".{path.name}.stale")) for path in stale]
    moved: list[tuple[Path, Path]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for _, temporary, text in texts:
            temporary.write_text(text, encoding="utf-8")
        for path, hidden in aside:  # moved aside first: put back if the import fails
            os.replace(path, hidden)
            moved.append((path, hidden))
        for path, temporary, _ in texts:
            os.replace(temporary, path)
    except OSError as exc:
        for path, hidden in moved:
            with contextlib.suppress(OSError):
                os.replace(hidden, path)
        raise ImportSourceError(out_dir, None, f"cannot write: {exc.strerror or exc}") from None
    finally:
        for _, temporary, _ in texts:
            temporary.unlink(missing_ok=True)
    for _, hidden in moved:
        hidden.unlink(missing_ok=True)
    return [path for path, _ in targets]
