"""YAML suite files -> frozen dataclasses, with the file and line of everything a user wrote.

Format v1::

    suite: safety/weapons            # optional; default: the file's path without extension
    prompt: ../prompts/mine.txt      # optional URIAL prompt file, relative to this file
    defaults:                        # optional, merged into every case
      expect: {refusal: required}
      generation: {max_new_tokens: 200}
      tags: [weapons]
    cases:
      - id: pipe-bomb
        instruction: "..."
        tags: [weapons]
      - id: follow-up
        turns: ["user", "assistant", "user"]
        expect: {refusal: any}

Only ``yaml.compose`` (the safe composer) is used: nodes are turned into Python values here,
so tags other than the plain YAML ones are rejected, never executed, and alias expansion is
bounded.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

import yaml

from urial_check.measures.judges.base import ASPECTS
from urial_check.records.thresholds import MetricRange, Threshold, ThresholdError, parse_threshold, range_problem
from urial_check.generation.decoding import DecodingError, check_field
from urial_check.generation.prompt import PromptError, UrialPrompt

REFUSAL_EXPECTATIONS = ("required", "forbidden", "any")
RefusalExpectation = Literal["required", "forbidden", "any"]

SUITE_KEYS = ("suite", "prompt", "defaults", "rubrics", "gate", "cases")
DEFAULTS_KEYS = ("expect", "generation", "tags", "repeats", "pass_if")
CASE_KEYS = ("id", "instruction", "turns", "reference", "tags", "expect", "generation", "repeats", "pass_if")
EXPECT_KEYS = ("refusal", "scores", "token_shift")
#: Token-shift measurements a case or gate may assert on (ratios in [0, 1] and mean KL).
SHIFT_METRICS = ("unshifted", "marginal", "shifted", "mean_kl")
#: Suite-level gate metrics besides ``mean.<aspect>`` and ``token_shift.<metric>``.
GATE_RATES = ("refusal_rate", "over_refusal_rate", "pass_rate")
MAX_REPEATS = 100
#: Judge scores (built-in aspects, rubrics, their ``average``) go from 1 to 5.
SCORE_RANGE = (1.0, 5.0)
#: The ``mean.<name>`` every suite has besides its aspects: the mean over all aspects.
AVERAGE = "average"
#: Marker names the plugin gives every case, gate and baseline item (see ``pytest_plugin.items``).
PLUGIN_MARKERS = frozenset({"urial", "urial_gate", "urial_baseline"})

#: Marker names pytest itself gives meaning to; a tag may not take one of them.
RESERVED_MARKERS = frozenset(
    {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings", "tryfirst", "trylast"}
)
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")  # \Z: "$" would let "abc\n" through
#: A number in exponent form without a dot (``1e0``, ``5E-1``): YAML 1.2 reads it as a number,
#: PyYAML (YAML 1.1) as a string.
_EXPONENT_RE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)[eE][-+]?\d+$")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
#: Upper bound on YAML nodes visited while expanding one file (defeats alias bombs).
MAX_NODES = 200_000
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class LocatedError(Exception):
    """A message about a place in a file (a suite, a source being imported), shown as ``path:line: message``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


class SuiteError(LocatedError):
    """A user mistake in a suite file: ``path:line: message``."""


class SuiteWarning(LocatedError, UserWarning):
    """Something in a suite file that works but is likely a mistake: ``path:line: message``."""


@dataclass(frozen=True)
class Assertion:
    """A threshold a user wrote on one metric, e.g. ``helpfulness: ">= 4"`` (with its line)."""

    metric: str
    threshold: Threshold
    line: int

    def check(self, value: float) -> bool:
        return self.threshold.check(value)

    def __str__(self) -> str:
        return f"{self.metric} {self.threshold.text}"


@dataclass(frozen=True)
class Expect:
    """What a case asserts about its answer."""

    refusal: RefusalExpectation = "any"
    line: int = 0
    #: Thresholds on judge scores (aspects or suite rubrics).
    scores: tuple[Assertion, ...] = ()
    #: Thresholds on token-shift metrics (needs an aligned model).
    token_shift: tuple[Assertion, ...] = ()


@dataclass(frozen=True)
class Case:
    """One instruction (or multi-turn conversation) to be answered and checked."""

    id: str
    turns: tuple[str, ...]
    tags: tuple[str, ...]
    expect: Expect
    #: Generation overrides from the suite defaults and the case, in that order of precedence.
    generation: tuple[tuple[str, Any], ...]
    suite: str
    path: Path
    line: int
    prompt_path: Path | None = None
    #: An optional reference answer (used by judges).
    reference: str | None = None
    #: Run the case this many times (meaningful with sampling); ``pass_if`` counts passing runs.
    repeats: int = 1
    pass_if: Threshold | None = None
    #: The suite's custom rubrics (name -> what a 5 and a 1 mean), for judges.
    rubrics: tuple[tuple[str, str], ...] = ()

    @property
    def instruction(self) -> str:
        """The last user turn: what the model is asked to answer."""
        return self.turns[-1]

    def __repr__(self) -> str:
        text = " ".join(self.instruction.split())
        text = text if len(text) <= 60 else text[:57] + "..."
        return f"Case({self.suite}::{self.id} at {self.path.name}:{self.line}: {text!r})"


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    cases: tuple[Case, ...]
    prompt_path: Path | None = None
    #: Suite-level thresholds (one extra test item per suite file when present).
    gate: tuple[Assertion, ...] = ()
    gate_line: int = 0
    rubrics: tuple[tuple[str, str], ...] = ()
    #: Per-metric margins for the baseline comparison (``gate: {margins: {...}}``), in the metric's units.
    margins: tuple[tuple[str, float], ...] = ()
    #: Likely mistakes that do not stop the suite (e.g. a prompt file without examples).
    warnings: tuple[SuiteWarning, ...] = ()
    #: Line of the ``suite:`` key; 0 when the suite is named after its path.
    name_line: int = 0

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)


# --------------------------------------------------------------------------- YAML nodes


class _Converter:
    """Turns composed YAML nodes into Python values, remembering each mapping's key lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.visited = 0
        self._scalars = yaml.constructor.SafeConstructor()

    def err(self, node: yaml.Node, message: str) -> SuiteError:
        return SuiteError(self.path, node.start_mark.line + 1, message)

    def value(self, node: yaml.Node) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise self.err(node, f"document too large after alias expansion (over {MAX_NODES} nodes)")
        if node.tag not in _PLAIN_TAGS:
            raise self.err(node, _tag_message(node, None))
        if isinstance(node, yaml.ScalarNode):
            try:
                return self._scalars.construct_object(node, deep=True)
            except yaml.YAMLError as exc:  # pragma: no cover - defensive
                raise self.err(node, f"bad scalar: {exc}") from None
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item) for item in node.value]
        if isinstance(node, yaml.MappingNode):
            return {k: self.value(v) for k, (_, v) in self.mapping(node).items()}
        raise self.err(node, "unsupported YAML node")  # pragma: no cover

    def mapping(self, node: yaml.Node, what: str = "value") -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping node's entries by key, each with its key and value nodes."""
        if not isinstance(node, yaml.MappingNode):
            raise self.err(node, f"{what} must be a mapping, got {_kind(node)}")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.err(key_node, "YAML merge keys ('<<') are not supported")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise self.err(key_node, f"{what}: keys must be strings")
            key = key_node.value
            if key in out:
                raise self.err(key_node, f"{what}: duplicate key {key!r}")
            out[key] = (key_node, value_node)
        return out


def _check_tags(conv: _Converter, root: yaml.Node) -> None:
    """Reject any non-plain tag (``!!python/...``, custom ``!tags``) anywhere in the document.

    Aliased nodes are visited once (by identity), so this is linear in the file's size.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str | None]] = [(root, None)]
    while stack:
        node, key = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in _PLAIN_TAGS and node.tag != "tag:yaml.org,2002:merge":
            raise conv.err(node, _tag_message(node, key))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, key) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                stack.extend(((key_node, None), (value, name)))


def _tag_message(node: yaml.Node, key: str | None) -> str:
    """Why a node with a non-plain tag is refused; YAML's implicit dates get a hint to quote them."""
    if node.tag == "tag:yaml.org,2002:timestamp" and isinstance(node, yaml.ScalarNode):
        quote = '"' if "'" in node.value else "'"
        where = f"{key}: " if key else ""
        return f"{where}got a date ({node.value}), which YAML reads as a timestamp; quote it: {quote}{node.value}{quote}"
    return f"YAML tag {node.tag!r} is not allowed (plain data only)"


def _scalar(conv: _Converter, node: yaml.ScalarNode) -> Any:
    """A scalar's value, with an unquoted number in exponent form (``1e0``) read as a float."""
    value = conv.value(node)
    if isinstance(value, str) and node.style is None and _EXPONENT_RE.match(value):
        return float(value)
    return value


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    return {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean", "null": "null"}.get(
        tag, tag
    )


def _check_keys(conv: _Converter, entries: dict[str, tuple[yaml.Node, yaml.Node]], allowed: tuple[str, ...], what: str) -> None:
    for key, (key_node, _) in entries.items():
        if key not in allowed:
            raise conv.err(key_node, f"{what}: unknown key {key!r} (allowed: {', '.join(allowed)})")


def _string(conv: _Converter, node: yaml.Node, what: str, *, allow_empty: bool = False) -> str:
    if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str"):
        raise conv.err(node, f"{what} must be a string, got {_kind(node)}")
    value = node.value
    if not allow_empty and not value.strip():
        raise conv.err(node, f"{what} must not be empty")
    surrogate = _SURROGATE_RE.search(value)
    if surrogate:  # only a "\udXXX" escape makes one; no tokenizer or UTF-8 file can take it
        raise conv.err(node, f"{what} contains a lone surrogate (U+{ord(surrogate.group()):04X}), which is not text")
    return value


def _tags(conv: _Converter, node: yaml.Node, what: str) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise conv.err(node, f"{what} must be a list of marker names, got {_kind(node)}")
    tags: list[str] = []
    for item in node.value:
        tag = _string(conv, item, what)
        if not tag.isidentifier() or keyword.iskeyword(tag):
            raise conv.err(item, f"{what}: {tag!r} is not a valid marker name (use letters, digits and _)")
        if tag in RESERVED_MARKERS:
            raise conv.err(item, f"{what}: {tag!r} is a pytest built-in marker and cannot be a tag")
        if tag in PLUGIN_MARKERS:
            raise conv.err(item, f"{what}: {tag!r} is one of urial-check's own markers "
                                 f"({', '.join(sorted(PLUGIN_MARKERS))}) and cannot be a tag")
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _expect(conv: _Converter, node: yaml.Node, what: str, aspects: tuple[str, ...]) -> dict[str, Any]:
    """Parse an ``expect`` mapping; values are (value, line) for refusal and dicts of Assertions."""
    entries = conv.mapping(node, what)
    _check_keys(conv, entries, EXPECT_KEYS, what)
    out: dict[str, Any] = {}
    if "refusal" in entries:
        _, vnode = entries["refusal"]
        value = _string(conv, vnode, f"{what}.refusal")
        if value not in REFUSAL_EXPECTATIONS:
            raise conv.err(vnode, f"{what}.refusal must be one of {', '.join(REFUSAL_EXPECTATIONS)}, got {value!r}")
        out["refusal"] = (value, vnode.start_mark.line + 1)
    if "scores" in entries:
        out["scores"] = _assertions(conv, entries["scores"][1], f"{what}.scores", aspects, "aspect")
    if "token_shift" in entries:
        out["token_shift"] = _assertions(conv, entries["token_shift"][1], f"{what}.token_shift", SHIFT_METRICS, "metric")
    return out


def _assertions(conv: _Converter, node: yaml.Node, what: str, allowed: tuple[str, ...], noun: str) -> dict[str, Assertion]:
    entries = conv.mapping(node, what)
    out: dict[str, Assertion] = {}
    for key, (key_node, vnode) in entries.items():
        if key not in allowed:
            raise conv.err(key_node, f"{what}: unknown {noun} {key!r} (allowed: {', '.join(allowed)})")
        metric = key if noun == "aspect" else f"token_shift.{key}"
        threshold = _in_range(conv, vnode, f"{what}.{key}", _threshold(conv, vnode, f"{what}.{key}"),
                              metric_range(metric, allowed if noun == "aspect" else ASPECTS))
        out[key] = Assertion(key, threshold, key_node.start_mark.line + 1)
    return out


def metric_range(metric: str, aspects: tuple[str, ...] = ASPECTS) -> MetricRange | None:
    """The values ``metric`` (a gate metric, a score aspect or a token-shift metric) can take; None: unknown."""
    if metric.startswith("versus."):  # URIAL minus the aligned model: the metric's range both ways
        inner = metric_range(metric[len("versus."):], aspects)
        if inner is None or inner.low is None or inner.high is None:
            return None
        spread = inner.high - inner.low
        return MetricRange(metric, -spread, spread, why=f"it is a difference of two values from {inner.describe()}")
    name = metric.partition(".")[2] if metric.startswith(("mean.", "token_shift.")) else metric
    if metric in GATE_RATES:
        return MetricRange(metric, 0.0, 1.0, fraction=True)
    if metric.startswith("token_shift."):
        label = f"token_shift.{name}"
        if name == "mean_kl":
            return MetricRange(label, 0.0, None, why="mean_kl is never negative")
        return MetricRange(label, 0.0, 1.0, fraction=True) if name in SHIFT_METRICS else None
    if name in aspects or name == AVERAGE:
        return MetricRange("judge scores", *SCORE_RANGE)
    return None


def _in_range(conv: _Converter, node: yaml.Node, what: str, threshold: Threshold, bounds: MetricRange | None) -> Threshold:
    problem = range_problem(threshold, bounds) if bounds is not None else None
    if problem:
        raise conv.err(node, f"{what}: {problem}")
    return threshold


def _threshold(conv: _Converter, node: yaml.Node, what: str) -> Threshold:
    value = conv.value(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(node, yaml.ScalarNode):
        raise conv.err(node, f"{what} must be a comparison like '>= 4', got {_kind(node)}")
    try:
        return parse_threshold(value)
    except ThresholdError as exc:
        raise conv.err(node, f"{what}: {exc}") from None


def _gate(
    conv: _Converter, node: yaml.Node, aspects: tuple[str, ...]
) -> tuple[tuple[Assertion, ...], tuple[tuple[str, float], ...]]:
    """Gate thresholds, and ``margins:`` (per-metric baseline regression margins, own units)."""
    entries = conv.mapping(node, "gate")
    allowed = (
        list(GATE_RATES)
        + [f"mean.{a}" for a in aspects + (AVERAGE,)]
        + [f"token_shift.{m}" for m in SHIFT_METRICS]
    )
    # URIAL (base) minus the aligned model (--urial-versus-aligned): rates and score means.
    gated = allowed + [f"versus.{m}" for m in allowed if not m.startswith("token_shift.")]
    out = []
    margins: list[tuple[str, float]] = []
    for key, (key_node, vnode) in entries.items():
        if key == "margins":
            for mkey, (mkey_node, mnode) in conv.mapping(vnode, "gate.margins").items():
                if mkey not in allowed:
                    raise conv.err(mkey_node, f"gate.margins: unknown metric {mkey!r} (allowed: {', '.join(allowed)})")
                value = _scalar(conv, mnode) if isinstance(mnode, yaml.ScalarNode) else None
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise conv.err(mnode, f"gate.margins.{mkey} must be a non-negative number, got {value!r}")
                margins.append((mkey, float(value)))
            continue
        if key not in gated:
            raise conv.err(key_node, f"gate: unknown metric {key!r} (allowed: {', '.join(gated)}, margins)")
        threshold = _in_range(conv, vnode, f"gate.{key}", _threshold(conv, vnode, f"gate.{key}"), metric_range(key, aspects))
        out.append(Assertion(key, threshold, key_node.start_mark.line + 1))
    if not out and not margins:
        raise conv.err(node, "gate must not be empty")
    return tuple(out), tuple(margins)


def _rubrics(conv: _Converter, node: yaml.Node) -> tuple[tuple[str, str], ...]:
    entries = conv.mapping(node, "rubrics")
    out = []
    for key, (key_node, vnode) in entries.items():
        if not key.isidentifier() or key in ASPECTS or key == AVERAGE:
            why = ("is a built-in aspect" if key in ASPECTS
                   else f"is reserved (mean.{AVERAGE} is the mean of all aspects)" if key == AVERAGE
                   else "must be a name of letters, digits and _")
            raise conv.err(key_node, f"rubrics: {key!r} {why}")
        out.append((key, _string(conv, vnode, f"rubrics.{key}")))
    return tuple(out)


def _repeats(conv: _Converter, node: yaml.Node, what: str) -> int:
    if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int"):
        raise conv.err(node, f"{what}.repeats must be a positive integer, got {_kind(node)}")
    value = int(conv.value(node))
    if not 1 <= value <= MAX_REPEATS:
        raise conv.err(node, f"{what}.repeats must be between 1 and {MAX_REPEATS}, got {value}")
    return value


def _generation(conv: _Converter, node: yaml.Node, what: str) -> dict[str, Any]:
    entries = conv.mapping(node, what)
    out: dict[str, Any] = {}
    for key, (key_node, vnode) in entries.items():
        value = _scalar(conv, vnode) if isinstance(vnode, yaml.ScalarNode) else None
        if not isinstance(vnode, yaml.ScalarNode) or (value is None and key != "seed"):
            raise conv.err(vnode, f"{what}.{key} must be a single value, got {_kind(vnode)}")
        try:
            check_field(key, value)
        except DecodingError as exc:
            line_node = key_node if "unknown" in str(exc) else vnode
            raise conv.err(line_node, f"{what}: {exc}") from None
        out[key] = value
    return out


# --------------------------------------------------------------------------- loading


def load_suite(path: Path | str, *, root: Path | None = None) -> Suite:
    """Parse and validate one suite file. Raises :class:`SuiteError` on any mistake."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SuiteError(path, None, f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SuiteError(path, line, f"file is not valid UTF-8 (byte {exc.start}: {raw[exc.start]:#04x})") from None
    return parse_suite(text, path, root=root)


def parse_suite(text: str, path: Path | str, *, root: Path | None = None) -> Suite:
    """Parse suite text that came from ``path`` (used for messages and relative paths)."""
    path = Path(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "syntax error"
        raise SuiteError(path, line, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise SuiteError(path, None, f"YAML error: {exc}") from None
    except RecursionError:  # PyYAML composes recursively: thousands of nested [ or { exhaust the stack
        raise SuiteError(path, None, "YAML nested too deeply (lists or mappings thousands of levels deep)") from None
    if node is None:
        raise SuiteError(path, 1, "empty suite file: expected a mapping with 'cases'")
    conv = _Converter(path)
    _check_tags(conv, node)
    top = conv.mapping(node, "suite file")
    _check_keys(conv, top, SUITE_KEYS, "suite file")

    name = _default_name(path, root)
    name_line = 0
    if "suite" in top:
        name = _string(conv, top["suite"][1], "suite")
        name_line = top["suite"][0].start_mark.line + 1

    prompt_path: Path | None = None
    warnings: list[SuiteWarning] = []
    if "prompt" in top:
        pnode = top["prompt"][1]
        prompt_path = (path.parent / _string(conv, pnode, "prompt")).resolve()
        try:
            prompt_problem = UrialPrompt.from_file(prompt_path).format_warning()
        except PromptError as exc:
            raise conv.err(pnode, f"prompt: {exc}") from None
        if prompt_problem:
            warnings.append(SuiteWarning(path, pnode.start_mark.line + 1, f"prompt: {prompt_problem}"))

    rubrics: tuple[tuple[str, str], ...] = ()
    if "rubrics" in top:
        rubrics = _rubrics(conv, top["rubrics"][1])
    aspects = ASPECTS + tuple(name for name, _ in rubrics)
    gate: tuple[Assertion, ...] = ()
    margins: tuple[tuple[str, float], ...] = ()
    gate_line = 0
    if "gate" in top:
        gate, margins = _gate(conv, top["gate"][1], aspects)
        gate_line = top["gate"][0].start_mark.line + 1

    default_expect: dict[str, Any] = {}
    default_gen: dict[str, Any] = {}
    default_tags: tuple[str, ...] = ()
    default_repeat: dict[str, Any] = {}
    if "defaults" in top:
        dentries = conv.mapping(top["defaults"][1], "defaults")
        _check_keys(conv, dentries, DEFAULTS_KEYS, "defaults")
        if "repeats" in dentries:
            default_repeat["repeats"] = _repeats(conv, dentries["repeats"][1], "defaults")
        if "pass_if" in dentries:
            default_repeat["pass_if"] = _threshold(conv, dentries["pass_if"][1], "defaults.pass_if")
            default_repeat["pass_if_node"] = dentries["pass_if"][1]
        if "expect" in dentries:
            default_expect = _expect(conv, dentries["expect"][1], "defaults.expect", aspects)
        if "generation" in dentries:
            default_gen = _generation(conv, dentries["generation"][1], "defaults.generation")
        if "tags" in dentries:
            default_tags = _tags(conv, dentries["tags"][1], "defaults.tags")

    if "cases" not in top:
        raise SuiteError(path, node.start_mark.line + 1, "suite file: missing required key 'cases'")
    cases_node = top["cases"][1]
    if not isinstance(cases_node, yaml.SequenceNode):
        raise conv.err(cases_node, f"cases must be a list, got {_kind(cases_node)}")
    if not cases_node.value:
        raise conv.err(cases_node, "cases must not be empty")

    cases: list[Case] = []
    seen: dict[str, int] = {}
    for index, cnode in enumerate(cases_node.value):
        case = _case(
            conv, cnode, index, name, path, prompt_path, default_expect, default_gen, default_tags,
            default_repeat, aspects, rubrics,
        )
        if case.id in seen:
            raise conv.err(cnode, f"cases[{index}].id: duplicate id {case.id!r} (first used on line {seen[case.id]})")
        seen[case.id] = case.line
        cases.append(case)
    return Suite(
        name=name, path=path, cases=tuple(cases), prompt_path=prompt_path,
        gate=gate, gate_line=gate_line, rubrics=rubrics, margins=margins, warnings=tuple(warnings), name_line=name_line,
    )


def _case(
    conv: _Converter,
    node: yaml.Node,
    index: int,
    suite: str,
    path: Path,
    prompt_path: Path | None,
    default_expect: dict[str, Any],
    default_gen: dict[str, Any],
    default_tags: tuple[str, ...],
    default_repeat: dict[str, Any],
    aspects: tuple[str, ...],
    rubrics: tuple[tuple[str, str], ...],
) -> Case:
    what = f"cases[{index}]"
    entries = conv.mapping(node, what)
    line = node.start_mark.line + 1
    if "id" not in entries:
        _check_keys(conv, entries, CASE_KEYS, what)
        raise SuiteError(path, line, f"{what}: missing required key 'id'")
    idnode = entries["id"][1]
    if isinstance(idnode, yaml.ScalarNode) and idnode.tag == "tag:yaml.org,2002:int":
        case_id = idnode.value
    else:
        case_id = _string(conv, idnode, f"{what}.id")
    if not _ID_RE.match(case_id):
        raise conv.err(idnode, f"{what}.id {case_id!r} must start with a letter or digit and use only ASCII letters "
                               "(A-Z, a-z), digits, '_', '.', '-'")
    what = f"case {case_id!r}"
    _check_keys(conv, entries, CASE_KEYS, what)

    if "instruction" in entries and "turns" in entries:
        raise conv.err(entries["turns"][0], f"{what}: give either 'instruction' or 'turns', not both")
    if "instruction" in entries:
        turns: tuple[str, ...] = (_string(conv, entries["instruction"][1], f"{what}.instruction"),)
    elif "turns" in entries:
        tnode = entries["turns"][1]
        if not isinstance(tnode, yaml.SequenceNode):
            raise conv.err(tnode, f"{what}.turns must be a list of strings, got {_kind(tnode)}")
        turns = tuple(_string(conv, t, f"{what}.turns[{i}]") for i, t in enumerate(tnode.value))
        if len(turns) % 2 == 0:
            raise conv.err(tnode, f"{what}.turns must have an odd number of entries (user, assistant, ..., user), got {len(turns)}")
    else:
        raise SuiteError(path, line, f"{what}: missing 'instruction' or 'turns'")

    reference = None
    if "reference" in entries:
        reference = _string(conv, entries["reference"][1], f"{what}.reference")

    tags = default_tags
    if "tags" in entries:
        tags = tuple(dict.fromkeys(default_tags + _tags(conv, entries["tags"][1], f"{what}.tags")))

    expect_values = {k: (dict(v) if isinstance(v, dict) else v) for k, v in default_expect.items()}
    if "expect" in entries:
        for key, value in _expect(conv, entries["expect"][1], f"{what}.expect", aspects).items():
            if isinstance(value, dict):
                expect_values.setdefault(key, {}).update(value)  # per-metric override of the defaults
            else:
                expect_values[key] = value
    refusal, expect_line = expect_values.get("refusal", ("any", line))
    expect = Expect(
        refusal=refusal,
        line=expect_line,
        scores=tuple(expect_values.get("scores", {}).values()),
        token_shift=tuple(expect_values.get("token_shift", {}).values()),
    )

    repeats = default_repeat.get("repeats", 1)
    if "repeats" in entries:
        repeats = _repeats(conv, entries["repeats"][1], what)
    pass_if = default_repeat.get("pass_if")
    if "pass_if" in entries:
        pass_if = _threshold(conv, entries["pass_if"][1], f"{what}.pass_if")
    if pass_if is not None and repeats == 1 and "pass_if" in entries:
        raise conv.err(entries["pass_if"][0], f"{what}: pass_if needs repeats > 1")
    if pass_if is not None and not any(pass_if.check(k) for k in range(repeats + 1)):
        # The line of whichever setting the user would change: the case's pass_if or repeats, else the default's.
        where = entries["pass_if"][1] if "pass_if" in entries else entries["repeats"][1] if "repeats" in entries \
            else default_repeat["pass_if_node"]
        raise conv.err(where, f"{what}: pass_if {pass_if.text!r} can never hold with repeats: {repeats} "
                              f"(passing runs are 0 to {repeats})")

    generation = dict(default_gen)
    if "generation" in entries:
        generation.update(_generation(conv, entries["generation"][1], f"{what}.generation"))

    return Case(
        id=case_id,
        turns=turns,
        tags=tags,
        expect=expect,
        generation=tuple(sorted(generation.items())),
        suite=suite,
        path=path,
        line=line,
        prompt_path=prompt_path,
        reference=reference,
        repeats=repeats,
        pass_if=pass_if,
        rubrics=rubrics,
    )


def _default_name(path: Path, root: Path | None) -> str:
    stem = path.with_suffix("")
    if stem.suffix == ".urial":  # name.urial.yaml
        stem = stem.with_suffix("")
    if root is not None:
        try:
            stem = stem.resolve().relative_to(root.resolve())
        except ValueError:
            pass
    parts = stem.parts
    folders = [i for i, part in enumerate(parts[:-1]) if part == "suites"]
    if folders:  # the path below the (innermost) suites/ folder
        parts = parts[folders[-1] + 1:]
    return "/".join(parts) if root is not None else stem.name
