"""The run record: one JSON file per run, its versioned JSON Schema, and validated loading.

A run record is what ``pytest --urial-model ...`` writes under ``reports/`` (``run-<id>.json``
and ``latest.json``) and what baselines are made of. Its layout, version 2:

``schema`` / ``schema_version``
    Always ``"urial-check/run-record"`` and ``2``. Version-1 files (written before ``status``
    and ``selection`` existed) are still read, as complete runs (their
    :meth:`~urial_check.records.records.RunRecord.coverage_warning` is None). Files that say
    otherwise are refused with an error naming what they say (an unknown version, a newer one,
    or something else entirely).
``status``, ``status_reason``
    ``complete`` when every selected case finished; ``interrupted`` when the session stopped
    before (a model that cannot load, an unavailable judge, ``-x``, Ctrl-C, a case that raised),
    or when suite files failed to collect (``--continue-on-collection-errors``; they are listed
    in ``collection_errors``), with the reason. The cases that did finish are in the record. A
    case whose own generation failed (its prompt does not fit the model) finished: it is in the
    record as failed, with its ``error``. A run in which no case ran writes no record.
``selection``
    Which cases the run was asked for: ``keyword`` (``-k``) and ``markers`` (``-m``)
    expressions or null, ``selected`` and ``deselected`` case counts (``deselected`` is null
    where unknown, e.g. under pytest-xdist), ``finished`` (case records written) and
    ``complete``: true only when every case of every collected suite file ran and finished. A
    baseline merged from a subset run (``--urial-update-baseline -k ...``) carries ``merged``.
``run_id``, ``started``, ``finished``, ``urial_check_version``, ``python``
    Identity and timing of the run (times are UTC, ``YYYY-MM-DDTHH:MM:SSZ``).
``model``
    ``id`` (what was passed to ``--urial-model``), ``fingerprint`` (sha256 of the weights, or
    null), ``device``, ``dtype``.
``prompts``
    Prompt source -> sha256 of the prompt text used.
``decoding_overrides``
    Decoding settings given on the command line (each case also records its own ``decoding``).
``refusal_detector``
    Id of the detector that decided the refusal verdicts (``rules:v5``, ``openai:...``, ``hf:...``);
    optional.
``judge``, ``judge_errors``
    The judge's id (null when judging is off) and how many cases it could not score.
``suites``
    Per-suite aggregates: ``cases``, ``passed``, ``required`` / ``refusal_rate`` (full refusals
    among cases that require a refusal), ``forbidden`` / ``over_refusal_rate`` (any refusal
    among cases that forbid one), ``partial_refusals`` (cases labelled partial); a rate is null
    when its suite has no such case. Written for other tools and never read back: readers
    recompute them from the cases with :mod:`urial_check.records.metrics`.
``cases``
    One object per case, keyed by ``suite`` + ``id`` (unique within a record): where it was
    written (``file``, ``line``), the ``instruction`` and ``turns``, ``expect`` (at least
    ``refusal``), the ``answer``, the refusal verdict (``refusal``: ``label``, ``refused``,
    ``evidence``, optionally the ``rule`` family and the ``detector`` id), ``checks`` and the ``outcome`` (``passed`` / ``failed``). Measurements are
    optional: ``judge`` (``id``, ``scores`` aspect -> 1..5, ``reasons`` aspect -> text) or
    ``judge_error``; ``token_shift`` (context -> ``positions``, ``unshifted``, ``marginal``,
    ``shifted``, ``mean_kl``, ``shifted_tokens``, and ``kl_approximate: true`` when the KL came from a
    server's top-k log-probabilities; the first context listed is the primary one);
    ``aligned`` (``--urial-versus-aligned``: the aligned model's ``answer``, its ``refusal``,
    ``checks``, ``outcome``, ``judge`` or ``judge_error``, or ``error`` when it has no verdict).
    A case that got no answer carries ``error`` (why), an empty ``answer``, the refusal label
    ``error`` (no verdict; ``refused`` false) and ``outcome: failed``.
``gates``
    Each suite gate's ``rows`` (metric, value, threshold, passed, n), computed over ``cases`` of
    the suite's ``suite_cases`` cases (fewer when ``-k``/``-m`` selected a subset).
``versus``
    Optional (``--urial-versus-aligned``): per suite, each metric of the base model with URIAL
    and of the aligned model over the cases both answered, their ``difference`` (base minus
    aligned) and the paired test (``p_value`` for rates, ``ci`` for means). Like ``suites``,
    written for other tools and recomputed by readers.

In Python the record is a :class:`urial_check.records.records.RunRecord` (``to_json()`` /
``from_json()``); this module holds its JSON Schema and validation.

The core fields are checked strictly (presence, types, ranges; no number anywhere may be NaN or
infinite, which Python's ``json`` would otherwise read and write); any object may carry more
properties than listed, so the record can grow without a version bump. A change that removes or
redefines a listed field must bump :data:`RUN_RECORD_VERSION`. :data:`RUN_RECORD_JSON_SCHEMA` is
the machine-readable form (JSON Schema draft 2020-12), validated with the ``jsonschema`` package.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

RUN_RECORD_SCHEMA = "urial-check/run-record"
RUN_RECORD_VERSION = 2
#: Versions :func:`load_run_record` reads (each validated against its own schema).
READABLE_VERSIONS = (1, 2)
RUN_STATUSES = ("complete", "interrupted")

_RATE: dict[str, Any] = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_RATIO: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
_TEXT: dict[str, Any] = {"type": "string"}
_SCORE: dict[str, Any] = {"type": "number", "minimum": 1, "maximum": 5}

_SUITE_SUMMARY: dict[str, Any] = {
    "type": "object",
    "description": "Aggregates of one suite over the cases of this run.",
    "required": ["suite", "cases", "passed"],
    "properties": {
        "suite": {"type": "string", "minLength": 1},
        "cases": _COUNT,
        "passed": _COUNT,
        "required": _COUNT,
        "refusal_rate": {**_RATE, "description": "Full refusals among cases with expect.refusal = required."},
        "forbidden": _COUNT,
        "over_refusal_rate": {**_RATE, "description": "Refusals (full or partial) among cases with expect.refusal = forbidden."},
        "partial_refusals": {**_COUNT, "description": "Cases whose refusal label is partial_refusal."},
    },
}

_JUDGE: dict[str, Any] = {
    "type": "object",
    "description": "Scores (1-5) and reasons per aspect from one judge.",
    "required": ["id", "scores"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "scores": {"type": "object", "additionalProperties": _SCORE},
        "reasons": {"type": "object", "additionalProperties": _TEXT},
    },
}

_SHIFT: dict[str, Any] = {
    "type": "object",
    "description": "Token distribution shift of the aligned answer under one base-model context.",
    "required": ["positions", "unshifted", "marginal", "shifted", "mean_kl"],
    "properties": {
        "positions": _COUNT,
        "unshifted": _RATIO,
        "marginal": _RATIO,
        "shifted": _RATIO,
        "mean_kl": {"type": "number", "minimum": 0},
        "kl_approximate": {"type": "boolean",
                           "description": "mean_kl from a server's top-k log-probabilities (a lower bound of the full KL)"},
        "shifted_tokens": {
            "type": "array",
            "items": {"type": "object", "required": ["position", "token"],
                      "properties": {"position": _COUNT, "token": _TEXT}},
        },
    },
}

_REFUSAL: dict[str, Any] = {
    "type": "object",
    "required": ["label", "refused", "evidence"],
    "properties": {
        "label": {"enum": ["full_refusal", "partial_refusal", "compliance", "error"],
                  "description": "'error': the case got no answer (see the case's 'error'), so there is no verdict."},
        "refused": {"type": "boolean"},
        "evidence": _TEXT,
        "rule": {"type": "string", "minLength": 1,
                 "description": "Rule family that decided (urial_check.measures.refusal.RULE_FAMILIES; 'classifier' for models)."},
        "detector": {"type": "string", "minLength": 1, "description": "Id of the detector that gave the verdict."},
    },
}

_CHECKS: dict[str, Any] = {
    "type": "array",
    "items": {"type": "object", "required": ["name", "passed"],
              "properties": {"name": _TEXT, "passed": {"type": "boolean"}, "asserted": {"type": "boolean"},
                             "message": _TEXT}},
}

_ALIGNED: dict[str, Any] = {
    "type": "object",
    "description": "The aligned model's answer (--urial-versus-aligned) with its verdict, checks and judge scores.",
    "required": ["answer", "outcome"],
    "properties": {
        "answer": _TEXT,
        "refusal": _REFUSAL,
        "outcome": {"enum": ["passed", "failed"]},
        "checks": _CHECKS,
        "judge": _JUDGE,
        "judge_error": _TEXT,
        "error": {**_TEXT, "description": "Why the answer has no verdict (left out of the side-by-side figures)."},
    },
}

_VERSUS_ROW: dict[str, Any] = {
    "type": "object",
    "required": ["metric", "n", "base", "aligned", "difference"],
    "properties": {
        "metric": _TEXT,
        "n": _COUNT,
        "base": {"type": ["number", "null"]},
        "aligned": {"type": ["number", "null"]},
        "difference": {"type": ["number", "null"], "description": "base minus aligned"},
        "p_value": {"type": "number", "minimum": 0, "maximum": 1, "description": "Exact McNemar (rates)."},
        "ci": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
               "description": "Paired bootstrap interval of the difference (means)."},
        "significant": {"type": "boolean"},
    },
}

_MODEL: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "fingerprint": {"type": ["string", "null"]},
        "device": {"type": ["string", "null"]},
        "dtype": {"type": ["string", "null"]},
        "load_seconds": {"type": ["number", "null"], "minimum": 0},
    },
}

_PROMPT_REF: dict[str, Any] = {
    "type": "object",
    "required": ["source", "sha256"],
    "properties": {"source": _TEXT, "sha256": _TEXT},
}

_REPEATS: dict[str, Any] = {
    "type": "object",
    "description": "A repeated case's runs: how many passed, the pass_if rule and each run's answer.",
    "required": ["runs", "passed"],
    "properties": {
        "runs": _COUNT,
        "passed": _COUNT,
        "pass_if": {"type": ["string", "null"]},
        "answers": {
            "type": "array",
            "items": {"type": "object", "required": ["answer", "refusal", "passed"],
                      "properties": {"answer": _TEXT, "refusal": _TEXT, "passed": {"type": "boolean"},
                                     "seed": {"type": ["integer", "null"]}, "judge": _JUDGE, "judge_error": _TEXT}},
        },
    },
}

_GATE: dict[str, Any] = {
    "type": "object",
    "description": "A suite gate's verdict: each metric against its threshold.",
    "required": ["suite"],
    "properties": {
        "kind": {"const": "gate"},
        "suite": _TEXT,
        "cases": _COUNT,
        "suite_cases": {"type": ["integer", "null"], "minimum": 0},
        "passed": {"type": "boolean"},
        "rows": {
            "type": "array",
            "items": {"type": "object", "required": ["metric", "threshold", "passed"],
                      "properties": {"metric": _TEXT, "value": {"type": ["number", "null"]}, "threshold": _TEXT,
                                     "passed": {"type": "boolean"}, "n": _COUNT}},
        },
        "model": _MODEL,
        "prompt": _PROMPT_REF,
    },
}

_CASE: dict[str, Any] = {
    "type": "object",
    "description": "One case of one suite: the question, the answer and everything measured about it.",
    "required": ["id", "suite", "file", "line", "instruction", "expect", "answer", "refusal", "outcome"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "suite": {"type": "string", "minLength": 1},
        "file": _TEXT,
        "line": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": _TEXT},
        "turns": {"type": "array", "items": _TEXT},
        "instruction": _TEXT,
        "expect": {
            "type": "object",
            "required": ["refusal"],
            "properties": {"refusal": {"enum": ["required", "forbidden", "any"]}},
        },
        "answer": _TEXT,
        "raw_generation": _TEXT,
        "decoding": {"type": "object"},
        "num_tokens": _COUNT,
        "finish_reason": _TEXT,
        "generation_seconds": {"type": "number", "minimum": 0},
        "cached": {"type": "boolean"},
        "refusal": _REFUSAL,
        "checks": _CHECKS,
        "outcome": {"enum": ["passed", "failed"]},
        "judge": _JUDGE,
        "judge_error": _TEXT,
        "token_shift": {"type": "object", "additionalProperties": _SHIFT},
        "aligned": _ALIGNED,
        "repeats": _REPEATS,
        "token_shift_file": {**_TEXT, "description": "Where the per-position shift detail was written (relative to the report folder)."},
        "model": _MODEL,
        "prompt": _PROMPT_REF,
        "error": {"type": "string", "minLength": 1,
                  "description": "Why the case got no answer (its own generation failed); it is then failed."},
    },
}

_SELECTION: dict[str, Any] = {
    "type": "object",
    "description": "Which cases the run was asked for and whether the record covers whole suites.",
    "required": ["keyword", "markers", "selected", "finished", "complete"],
    "properties": {
        "keyword": {"type": ["string", "null"], "description": "The -k expression."},
        "markers": {"type": ["string", "null"], "description": "The -m expression."},
        "selected": _COUNT,
        "deselected": {"type": ["integer", "null"], "minimum": 0},
        "finished": _COUNT,
        "complete": {"type": "boolean", "description": "Every case of every collected suite file ran and finished."},
        "merged": {"type": "object", "description": "A baseline merged from a subset run: run_id, from_run, kept, previous_run_id."},
    },
}


_BASELINE_VERDICT: dict[str, Any] = {
    "type": "object",
    "description": "A suite's comparison with the stored baseline: passed unless a metric regressed.",
    "required": ["suite", "baseline", "shared", "passed", "regressed"],
    "properties": {
        "kind": {"const": "baseline"},
        "suite": _TEXT,
        "baseline": {"type": "string", "description": "The baseline file compared against."},
        "shared": {**_COUNT, "description": "Cases in both this run and the baseline."},
        "passed": {"type": "boolean"},
        "regressed": {"type": "array", "items": _TEXT, "description": "The metrics that regressed."},
    },
}


def _schema(version: int) -> dict[str, Any]:
    """The JSON Schema of one record version (version 2 adds ``status`` and ``selection``)."""
    required = ["schema", "schema_version", "run_id", "started", "finished", "urial_check_version",
                "model", "prompts", "decoding_overrides", "suites", "cases"]
    # Version 2 requires status and selection; a version-1 file that has these (or the later
    # optional fields) is held to the same shapes, since they are read all the same.
    if version >= 2:
        required += ["status", "selection"]
    extra: dict[str, Any] = {
        "status": {"enum": list(RUN_STATUSES)},
        "status_reason": {"type": ["string", "null"], "description": "Why an interrupted run stopped."},
        "selection": _SELECTION,
        "collection_errors": {"type": "array", "items": _TEXT,
                              "description": "Suite files that failed to collect (--continue-on-collection-errors)."},
        "baseline_verdicts": {"type": "array", "items": _BASELINE_VERDICT,
                              "description": "Each suite's comparison with the stored baseline ([baseline] items)."},
    }
    return {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:urial-check:run-record:{version}",
    "title": f"urial-check run record, version {version}",
    "description": "One pytest run of urial-check: model, prompts, decoding, per-suite aggregates and every case.",
    "type": "object",
    "required": required,
    "properties": {
        **extra,
        "schema": {"const": RUN_RECORD_SCHEMA},
        "schema_version": {"const": version},
        "run_id": {"type": "string", "minLength": 1},
        "started": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        "finished": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
        "urial_check_version": _TEXT,
        "python": _TEXT,
        "model": {**_MODEL, "required": ["id", "fingerprint"]},
        "prompts": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        "decoding_overrides": {"type": "object"},
        "refusal_detector": {"type": ["string", "null"], "description": "Id of the run's refusal detector."},
        "judge": {"type": ["string", "null"]},
        "judge_errors": {**_COUNT, "description": "Cases the judge could not score (each carries judge_error)."},
        "suites": {"type": "array", "items": _SUITE_SUMMARY},
        "versus": {
            "type": "array",
            "description": "Per suite, URIAL (base) against the aligned model on the same cases (--urial-versus-aligned).",
            "items": {"type": "object", "required": ["suite", "cases", "rows"],
                      "properties": {"suite": _TEXT, "cases": _COUNT, "rows": {"type": "array", "items": _VERSUS_ROW}}},
        },
        "gates": {"type": "array", "items": _GATE},
        "cases": {"type": "array", "items": _CASE},
    },
    }


#: JSON Schema (draft 2020-12) of the current run record version. Objects allow extra properties.
RUN_RECORD_JSON_SCHEMA: dict[str, Any] = _schema(RUN_RECORD_VERSION)
_SCHEMAS = {version: _schema(version) for version in READABLE_VERSIONS}


#: Run records are a few levels deep; deeper values are refused before anything walks them recursively.
MAX_DEPTH = 64


class RunRecordError(ValueError):
    """A file is not a readable run record of the supported version; the message is one line."""


def load_run_record(path: str | Path) -> dict[str, Any]:
    """Read and validate a run record; :class:`RunRecordError` (one line naming the file) if it is not one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunRecordError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RunRecordError(f"{path}: is a directory, not a run record") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunRecordError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunRecordError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise RunRecordError(f"{path}: not a run record (JSON nested too deeply to read)") from None
    validate_run_record(data, source=str(path))
    return dict(data)


def validate_run_record(record: Any, *, source: str = "<run record>") -> None:
    """Check ``record`` against the schema of the version it names; :class:`RunRecordError` names ``source`` and the first problem."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    if not isinstance(record, Mapping):
        raise RunRecordError(f"{source}: not a urial-check run record (the top level is {_json_kind(record)}, not an object)")
    if _nested_deeper_than(record, MAX_DEPTH):
        raise RunRecordError(f"{source}: not a run record (values nested deeper than {MAX_DEPTH} levels)")
    schema, version = record.get("schema"), record.get("schema_version")
    if schema != RUN_RECORD_SCHEMA:
        found = "no 'schema' field" if "schema" not in record else f"schema {schema!r}"
        raise RunRecordError(
            f"{source}: not a urial-check run record ({found}; expected schema {RUN_RECORD_SCHEMA!r} version {RUN_RECORD_VERSION})"
        )
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        hint = _version_hint(version)
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise RunRecordError(
            f"{source}: run record schema version {version!r} is not supported (this urial-check reads versions {readable}){hint}"
        )
    error = best_match(Draft202012Validator(_SCHEMAS[version]).iter_errors(record))
    if error is not None:
        where = _json_path(error.absolute_path)
        raise RunRecordError(f"{source}: invalid run record at {where}: {_short(error.message)}")
    # JSON has no NaN or infinity, but Python's json reads and writes them; a NaN slips through
    # every range in the schema (comparisons with it are false), so none is accepted anywhere.
    bad = _first_non_finite(record)
    if bad is not None:
        parts, value = bad
        raise RunRecordError(f"{source}: invalid run record at {_json_path(parts)}: {value!r} is not a finite number")
    seen: set[tuple[str, str]] = set()
    for index, case in enumerate(record["cases"]):
        key = (case["suite"], case["id"])
        if key in seen:
            raise RunRecordError(f"{source}: invalid run record at cases[{index}]: duplicate case {case['suite']}::{case['id']}")
        seen.add(key)


def run_record_schema_json() -> str:
    """The JSON Schema as pretty-printed JSON text (for documentation and other tools)."""
    return json.dumps(RUN_RECORD_JSON_SCHEMA, indent=2) + "\n"


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON data nests lists/objects more than ``limit`` levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _first_non_finite(value: Any) -> tuple[list[Any], float] | None:
    """The path and value of the first NaN or infinite number in JSON data (None if there is none)."""
    stack: list[tuple[Any, list[Any]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path, item
        if isinstance(item, Mapping):
            stack.extend((child, [*path, key]) for key, child in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((child, [*path, i]) for i, child in reversed(list(enumerate(item))))
    return None


def _version_hint(version: Any) -> str:
    if isinstance(version, int) and not isinstance(version, bool) and version > RUN_RECORD_VERSION:
        return "; it was written by a newer urial-check, upgrade to read it"
    return ""


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _short(message: str, limit: int = 200) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + " ..."
