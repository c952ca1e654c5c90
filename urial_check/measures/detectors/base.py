"""The refusal-detector seam: a detector turns (answer, instruction) pairs into refusal verdicts.

Three implementations: ``rules`` (the offline rule detector in :mod:`urial_check.measures.refusal`),
``openai`` (an LLM classifier over any OpenAI-compatible chat endpoint) and ``hf`` (a local
classification or guard model). Every verdict names the detector that produced it
(``RefusalVerdict.detector`` is the detector's ``id``), and verdicts of model classifiers are
cached under a key that includes that id, so a changed model, prompt or label map never serves
an old verdict.

A classifier's reply that is not one of our three labels is a :class:`DetectorError` for that
answer (reported with the reply, never guessed); an endpoint or model that cannot be used at all
is a :class:`DetectorUnavailable` for the session. When that happens part-way through a batch, the
verdicts that arrived before are kept: :func:`detect_cached` writes each to the cache as it arrives
(from detectors that hand them over one by one, :class:`StreamingDetector`), and the error carries them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence, get_args, runtime_checkable

from urial_check.measures.refusal import RefusalLabel, RefusalVerdict

if TYPE_CHECKING:
    from urial_check.generation.cache import ResultCache

#: The three labels a detector may give, as used throughout urial-check.
LABELS: tuple[str, ...] = get_args(RefusalLabel)
#: Cache namespace of classifier verdicts.
VERDICT_CACHE_NAMESPACE = "refusal"
#: The rule family of every verdict a model classifier gives (see ``refusal.RULE_FAMILIES``).
CLASSIFIER_RULE = "classifier"

#: One answer to classify: (response, instruction or None).
DetectItem = tuple[str, "str | None"]


class DetectorError(Exception):
    """A detector could not classify one answer; the message is one line meant for the user."""


class DetectorUnavailable(DetectorError):
    """The detector cannot be used at all this session (endpoint unreachable, model unloadable).

    ``verdicts``: the verdicts it gave before it became unavailable part-way through a batch, by the
    item's index in that batch (good verdicts, to keep; the items without one were not answered).
    """

    def __init__(self, message: str, verdicts: Mapping[int, RefusalVerdict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.verdicts = dict(verdicts or {})

    def __reduce__(self) -> tuple[type[DetectorUnavailable], tuple[str, dict[int, RefusalVerdict]]]:
        return (type(self), (self.message, self.verdicts))


class DetectorConfigError(DetectorError):
    """The detector was set up wrongly (bad label map, missing template, unknown kind...)."""


@runtime_checkable
class RefusalDetector(Protocol):
    """Decides whether answers refuse. Implementations: rules, openai, hf."""

    #: Stable id for records and cache keys, e.g. ``rules:v5`` or ``openai:<model>@<url>:<prompt hash>``.
    id: str
    #: Whether verdicts are worth caching (model classifiers); the rules are faster than a lookup.
    cacheable: bool

    def detect(self, response: str, instruction: str | None = None) -> RefusalVerdict:
        """The verdict on one answer; raises DetectorError if it cannot be decided."""
        ...

    def detect_many(self, items: Sequence[DetectItem]) -> list[RefusalVerdict]:
        """Verdicts in order; raises the first item's DetectorError, or DetectorUnavailable."""
        ...

    def detect_outcomes(self, items: Sequence[DetectItem]) -> list[RefusalVerdict | DetectorError]:
        """Like detect_many, but one item's failure is returned in its place (DetectorUnavailable is raised)."""
        ...

    def close(self) -> None:
        """Release connections or models."""
        ...


#: Called with (the item's index, its verdict) as each verdict arrives.
VerdictCallback = Callable[[int, RefusalVerdict], None]


@runtime_checkable
class StreamingDetector(Protocol):
    """Optional: a detector whose verdicts arrive one by one (a remote classifier) hands each over as it
    arrives, so an outage later in the batch loses none of them (:func:`detect_cached` caches each at once)."""

    def detect_streaming(self, items: Sequence[DetectItem], on_verdict: VerdictCallback) -> list[RefusalVerdict | DetectorError]:
        """``detect_outcomes``, calling ``on_verdict(index, verdict)`` in the calling thread as each verdict arrives."""
        ...


class BaseDetector:
    """``detect`` and ``detect_many`` on top of ``detect_outcomes``."""

    id: str
    cacheable: bool = True

    def detect_outcomes(self, items: Sequence[DetectItem]) -> list[RefusalVerdict | DetectorError]:
        raise NotImplementedError

    def detect_many(self, items: Sequence[DetectItem]) -> list[RefusalVerdict]:
        verdicts: list[RefusalVerdict] = []
        for outcome in self.detect_outcomes(items):
            if isinstance(outcome, DetectorError):
                raise outcome
            verdicts.append(outcome)
        return verdicts

    def detect(self, response: str, instruction: str | None = None) -> RefusalVerdict:
        return self.detect_many([(response, instruction)])[0]

    def verdict(self, label: str, raw: str) -> RefusalVerdict:
        """A classifier's verdict: its label, with the classifier's own words as evidence."""
        assert label in LABELS, label
        flat = " ".join(raw.split())
        evidence = f"classifier said {flat[:80]!r}"
        return RefusalVerdict(label=label, evidence=evidence, rule=CLASSIFIER_RULE, detector=self.id)  # type: ignore[arg-type]

    def close(self) -> None:
        return None


def parse_label_map(text: str | Mapping[str, str]) -> dict[str, str]:
    """``"REJECTION=full_refusal, NORMAL=compliance"`` (or a mapping) -> {model label (lowercased): our label}.

    Raises DetectorConfigError for a malformed entry, an unknown target label or a label listed twice.
    """
    pairs: list[tuple[str, str]]
    if isinstance(text, Mapping):
        pairs = [(str(k), str(v)) for k, v in text.items()]
    else:
        pairs = []
        for entry in (e.strip() for e in text.split(",")):
            if not entry:
                continue
            name, sep, target = entry.partition("=")
            if not sep or not name.strip() or not target.strip():
                raise DetectorConfigError(f"label map entry {entry!r}: expected MODEL_LABEL=OUR_LABEL")
            pairs.append((name, target))
    out: dict[str, str] = {}
    for name, target in pairs:
        key, value = name.strip().lower(), target.strip()
        if value not in LABELS:
            raise DetectorConfigError(f"label map entry {name.strip()}={value}: the label must be one of {', '.join(LABELS)}")
        if key in out:
            raise DetectorConfigError(f"label map: {name.strip()!r} is mapped twice")
        out[key] = value
    if not out:
        raise DetectorConfigError("label map is empty; expected MODEL_LABEL=OUR_LABEL, ...")
    return out


def verdict_key(detector_id: str, response: str, instruction: str | None) -> str:
    """Hex SHA-256 naming one classifier verdict: the detector's id, the instruction and the answer."""
    payload = {"detector": detector_id, "instruction": instruction, "response": response}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def detect_cached(
    detector: RefusalDetector, items: Sequence[DetectItem], cache: ResultCache | None
) -> list[RefusalVerdict | DetectorError]:
    """``detector.detect_outcomes`` with the result cache in front (for cacheable detectors).

    Errors are not cached: a reply that could not be read is asked again next run. Verdicts are cached as
    they arrive (a :class:`StreamingDetector`'s one by one); when the detector becomes unavailable part-way,
    the :class:`DetectorUnavailable` raised carries every verdict known for ``items``, cached ones included.
    """
    if cache is None or not detector.cacheable:
        return _counted(detector, items)
    results: list[RefusalVerdict | DetectorError | None] = [None] * len(items)
    todo: list[int] = []
    for i, (response, instruction) in enumerate(items):
        value = cache.get_json(VERDICT_CACHE_NAMESPACE, verdict_key(detector.id, response, instruction))
        if isinstance(value, dict) and _is_verdict(value):
            results[i] = RefusalVerdict(label=value["label"], evidence=value["evidence"], rule=value["rule"],
                                        detector=value["detector"])
        else:
            todo.append(i)
    if todo:

        def keep(j: int, outcome: RefusalVerdict | DetectorError) -> None:
            results[todo[j]] = outcome
            if isinstance(outcome, RefusalVerdict):
                response, instruction = items[todo[j]]
                cache.put_json(VERDICT_CACHE_NAMESPACE, verdict_key(detector.id, response, instruction),
                               {"label": outcome.label, "evidence": outcome.evidence, "rule": outcome.rule,
                                "detector": outcome.detector})

        try:
            outcomes = _counted(detector, [items[i] for i in todo], keep)
        except DetectorUnavailable as exc:
            for j, verdict in exc.verdicts.items():
                if results[todo[j]] is None:  # not handed over as it arrived
                    keep(j, verdict)
            known = {i: r for i, r in enumerate(results) if isinstance(r, RefusalVerdict)}
            raise DetectorUnavailable(str(exc), known) from None
        for j, outcome in enumerate(outcomes):
            if results[todo[j]] is None:
                keep(j, outcome)
    return [r for r in results if r is not None]


def _counted(
    detector: RefusalDetector, items: Sequence[DetectItem], on_verdict: VerdictCallback | None = None
) -> list[RefusalVerdict | DetectorError]:
    """``detector.detect_outcomes(items)`` (streamed to ``on_verdict`` where the detector can), refused unless it
    has one outcome per item (else verdicts would be matched with the wrong answers)."""
    if on_verdict is not None and isinstance(detector, StreamingDetector):
        outcomes = detector.detect_streaming(items, on_verdict)
    else:
        outcomes = detector.detect_outcomes(items)
    if len(outcomes) != len(items):
        raise DetectorUnavailable(f"refusal detector {detector.id} gave {len(outcomes)} verdicts for {len(items)} answers")
    return outcomes


def _is_verdict(value: Any) -> bool:
    return (isinstance(value, dict) and value.get("label") in LABELS
            and all(isinstance(value.get(k), str) for k in ("evidence", "rule", "detector")))


#: Two answers a template is filled with at load: a template that renders both alike ignores the answer.
_PROBE_ANSWERS = ("urial-check probe answer 1", "URIAL-CHECK PROBE ANSWER 2")
_PROBE_INSTRUCTION = "urial-check probe request"


class PromptTemplate:
    """A classifier prompt with ``{instruction}`` and ``{response}``: ``str.format`` text, or Jinja2 when
    the file name ends in ``.j2`` / ``.jinja`` (then ``{{ instruction }}`` and ``{{ response }}``)."""

    def __init__(self, text: str, *, jinja: bool = False, source: str = "<prompt>") -> None:
        self.text = text
        self.source = source
        self.jinja = jinja
        self._jinja_template: Any = None
        if jinja:
            from jinja2 import Environment, StrictUndefined, TemplateSyntaxError

            try:
                self._jinja_template = Environment(undefined=StrictUndefined, keep_trailing_newline=True).from_string(text)
            except TemplateSyntaxError as exc:
                raise DetectorConfigError(f"{source}:{exc.lineno}: not a Jinja template: {exc.message}") from None
        try:
            probes = [self.render(_PROBE_INSTRUCTION, answer) for answer in _PROBE_ANSWERS]
        except DetectorConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - format and jinja raise several kinds
            raise DetectorConfigError(f"{source}: cannot fill the prompt template ({type(exc).__name__}: {exc}); "
                                      "only {instruction} and {response} may appear, other braces must be doubled") from None
        if probes[0] == probes[1]:  # the classifier would never see the answer it is to judge
            field = "{{ response }}" if jinja else "{response}"
            raise DetectorConfigError(f"{source}: the prompt template never inserts the answer; it must contain {field} "
                                      "(and may contain " + ("{{ instruction }}" if jinja else "{instruction}") + ")")

    @classmethod
    def from_file(cls, path: Any) -> PromptTemplate:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DetectorConfigError(f"{path}: cannot read the prompt template ({exc})") from None
        return cls(text, jinja=path.suffix in (".j2", ".jinja"), source=str(path))

    @property
    def sha256(self) -> str:
        """Names the template in detector ids: its text, and its dialect (the same text renders
        differently as Jinja; plain-text hashes are the text's alone, as before)."""
        blob = self.text.encode("utf-8") + (b"\0jinja" if self.jinja else b"")
        return hashlib.sha256(blob).hexdigest()

    def render(self, instruction: str | None, response: str) -> str:
        values = {"instruction": instruction or "", "response": response}
        if self._jinja_template is not None:
            return str(self._jinja_template.render(**values))
        return self.text.format(**values)
