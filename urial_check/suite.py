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

from .decoding import DecodingError, check_field

FORMAT_VERSION = 1
REFUSAL_EXPECTATIONS = ("required", "forbidden", "any")
RefusalExpectation = Literal["required", "forbidden", "any"]

SUITE_KEYS = ("suite", "prompt", "defaults", "cases")
DEFAULTS_KEYS = ("expect", "generation", "tags")
CASE_KEYS = ("id", "instruction", "turns", "reference", "tags", "expect", "generation")
EXPECT_KEYS = ("refusal",)

#: Marker names pytest itself gives meaning to; a tag may not take one of them.
RESERVED_MARKERS = frozenset(
    {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings", "tryfirst", "trylast"}
)
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
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


class SuiteError(Exception):
    """A user mistake in a suite file: ``path:line: message``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Expect:
    """What a case asserts about its answer."""

    refusal: RefusalExpectation = "any"
    line: int = 0


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

    @property
    def instruction(self) -> str:
        """The last user turn: what the model is asked to answer."""
        return self.turns[-1]

    @property
    def nodeid_hint(self) -> str:
        return f"{self.path.name}::{self.id}"


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    cases: tuple[Case, ...]
    prompt_path: Path | None = None
    format_version: int = FORMAT_VERSION
    tags: tuple[str, ...] = field(default=())

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
            raise self.err(node, f"YAML tag {node.tag!r} is not allowed (plain data only)")
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
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in _PLAIN_TAGS and node.tag != "tag:yaml.org,2002:merge":
            raise conv.err(node, f"YAML tag {node.tag!r} is not allowed (plain data only)")
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


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
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _expect(conv: _Converter, node: yaml.Node, what: str) -> dict[str, tuple[Any, int]]:
    entries = conv.mapping(node, what)
    _check_keys(conv, entries, EXPECT_KEYS, what)
    out: dict[str, tuple[Any, int]] = {}
    if "refusal" in entries:
        _, vnode = entries["refusal"]
        value = _string(conv, vnode, f"{what}.refusal")
        if value not in REFUSAL_EXPECTATIONS:
            raise conv.err(vnode, f"{what}.refusal must be one of {', '.join(REFUSAL_EXPECTATIONS)}, got {value!r}")
        out["refusal"] = (value, vnode.start_mark.line + 1)
    return out


def _generation(conv: _Converter, node: yaml.Node, what: str) -> dict[str, Any]:
    entries = conv.mapping(node, what)
    out: dict[str, Any] = {}
    for key, (key_node, vnode) in entries.items():
        value = conv.value(vnode) if isinstance(vnode, yaml.ScalarNode) else None
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
    if node is None:
        raise SuiteError(path, 1, "empty suite file: expected a mapping with 'cases'")
    conv = _Converter(path)
    _check_tags(conv, node)
    top = conv.mapping(node, "suite file")
    _check_keys(conv, top, SUITE_KEYS, "suite file")

    name = _default_name(path, root)
    if "suite" in top:
        name = _string(conv, top["suite"][1], "suite")

    prompt_path: Path | None = None
    if "prompt" in top:
        pnode = top["prompt"][1]
        prompt_path = (path.parent / _string(conv, pnode, "prompt")).resolve()
        if not prompt_path.is_file():
            raise conv.err(pnode, f"prompt: no such file {str(prompt_path)!r}")

    default_expect: dict[str, tuple[Any, int]] = {}
    default_gen: dict[str, Any] = {}
    default_tags: tuple[str, ...] = ()
    if "defaults" in top:
        dentries = conv.mapping(top["defaults"][1], "defaults")
        _check_keys(conv, dentries, DEFAULTS_KEYS, "defaults")
        if "expect" in dentries:
            default_expect = _expect(conv, dentries["expect"][1], "defaults.expect")
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
        case = _case(conv, cnode, index, name, path, prompt_path, default_expect, default_gen, default_tags)
        if case.id in seen:
            raise conv.err(cnode, f"cases[{index}].id: duplicate id {case.id!r} (first used on line {seen[case.id]})")
        seen[case.id] = case.line
        cases.append(case)
    return Suite(name=name, path=path, cases=tuple(cases), prompt_path=prompt_path, tags=default_tags)


def _case(
    conv: _Converter,
    node: yaml.Node,
    index: int,
    suite: str,
    path: Path,
    prompt_path: Path | None,
    default_expect: dict[str, tuple[Any, int]],
    default_gen: dict[str, Any],
    default_tags: tuple[str, ...],
) -> Case:
    what = f"cases[{index}]"
    entries = conv.mapping(node, what)
    _check_keys(conv, entries, CASE_KEYS, what)
    line = node.start_mark.line + 1
    if "id" not in entries:
        raise SuiteError(path, line, f"{what}: missing required key 'id'")
    idnode = entries["id"][1]
    if isinstance(idnode, yaml.ScalarNode) and idnode.tag == "tag:yaml.org,2002:int":
        case_id = idnode.value
    else:
        case_id = _string(conv, idnode, f"{what}.id")
    if not _ID_RE.match(case_id):
        raise conv.err(idnode, f"{what}.id {case_id!r} must start with a letter or digit and use only letters, digits, '_', '.', '-'")
    what = f"case {case_id!r}"

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

    expect_values = dict(default_expect)
    if "expect" in entries:
        expect_values.update(_expect(conv, entries["expect"][1], f"{what}.expect"))
    refusal, expect_line = expect_values.get("refusal", ("any", line))
    expect = Expect(refusal=refusal, line=expect_line)

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
    if parts and parts[0] == "suites" and len(parts) > 1:
        parts = parts[1:]
    return "/".join(parts) if root is not None else stem.name
