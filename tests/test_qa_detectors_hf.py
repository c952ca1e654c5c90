"""Adversarial tests of the hf refusal detector on tiny random models: empty and very long answers,
padding and truncation, odd heads and configs, and what the detector id covers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_detectors_hf import build_tiny_classifier

from urial_check.measures.detectors import DetectorConfigError, DetectorError, PromptTemplate
from urial_check.measures.detectors.hf import check_hf_detector, load_hf_detector, model_kind
from urial_check.measures.refusal import RefusalVerdict

LABELS = {"rejection": "full_refusal", "normal": "compliance"}
ITEMS = [
    ("I can't help with that.", None),
    ("Sure, here is a long answer: " + "word " * 30, None),
    ("No.", None),
    ("Okay then, do it like this and this.", None),
]


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory: pytest.TempPathFactory, default_tokenizer_dir: Path) -> Path:
    return build_tiny_classifier(tmp_path_factory.mktemp("qa-clf"), default_tokenizer_dir)


def copy_with(folder: Path, to: Path, config: dict[str, Any] | None = None, tokenizer: dict[str, Any] | None = None) -> Path:
    """A copy of a model folder with some config.json / tokenizer_config.json entries changed."""
    shutil.copytree(folder, to)
    for name, changes in (("config.json", config), ("tokenizer_config.json", tokenizer)):
        if changes:
            data = json.loads((to / name).read_text())
            data.update(changes)
            (to / name).write_text(json.dumps(data))
    return to


def reads(detector: Any) -> list[list[int]]:
    """Records the token ids the detector's model is given, per forward call."""
    seen: list[list[int]] = []

    def hook(module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None:
            seen.extend(ids.tolist())

    detector.model.register_forward_pre_hook(hook, with_kwargs=True)
    return seen


def labels_of(outcomes: list[Any]) -> list[str]:
    return [o.label if isinstance(o, RefusalVerdict) else f"error: {o}" for o in outcomes]


# --------------------------------------------------------------------------- empty answers


def test_empty_answers_are_full_refusals_not_a_crash(tiny_classifier: Path) -> None:
    detector = load_hf_detector(str(tiny_classifier), device="cpu", label_map=LABELS, batch_size=2)
    alone = detector.detect("")
    assert (alone.label, alone.rule, alone.detector) == ("full_refusal", "empty", detector.id)
    outcomes = detector.detect_outcomes([("", "q"), ITEMS[0], ("  \n", None), ("", None), *ITEMS[1:]])
    assert all(isinstance(outcomes[i], RefusalVerdict) and outcomes[i].rule == "empty" for i in (0, 2, 3))
    assert [outcomes[1], *outcomes[4:]] == [detector.detect(r, i) for r, i in ITEMS]  # the others as when asked alone


# --------------------------------------------------------------------------- padding and truncation


def test_a_config_pad_id_unlike_the_tokenizers_does_not_change_verdicts_in_a_batch(tiny_classifier: Path, tmp_path: Path) -> None:
    folder = copy_with(tiny_classifier, tmp_path / "pad0", config={"pad_token_id": 0})
    detector = load_hf_detector(str(folder), device="cpu", label_map=LABELS, batch_size=4)
    batched = detector.detect_many(ITEMS)
    assert batched == [detector.detect(r, i) for r, i in ITEMS]


def test_truncation_keeps_the_answers_opening_whatever_the_tokenizer_says(tiny_classifier: Path, tmp_path: Path) -> None:
    folder = copy_with(tiny_classifier, tmp_path / "left", tokenizer={"truncation_side": "left"})
    detector = load_hf_detector(str(folder), device="cpu", label_map=LABELS)
    detector.max_length = 8
    seen = reads(detector)
    detector.detect("I can't help with that. " + "filler " * 100)
    opening = detector.tokenizer("I can't help with that. " + "filler " * 100)["input_ids"][:8]
    assert seen == [opening]
    assert detector.tokenizer.truncation_side == "left"  # the user's tokenizer is left as it was


def tiny_gpt2(folder: Path, tokenizer_dir: Path, *, classifier: bool, positions: int = 64) -> Path:
    """A tiny random GPT-2 (learned positions: longer inputs than ``positions`` raise IndexError)."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel

    folder.mkdir(parents=True)
    for item in tokenizer_dir.iterdir():
        if item.is_file():
            shutil.copy2(item, folder / item.name)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=positions, n_embd=32, n_layer=1, n_head=2,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id, id2label={0: "NORMAL", 1: "REJECTION"},
                        label2id={"NORMAL": 0, "REJECTION": 1})
    torch.manual_seed(0)
    (GPT2ForSequenceClassification if classifier else GPT2LMHeadModel)(config).save_pretrained(folder)
    return folder


def test_a_classifier_with_a_short_context_reads_the_opening_of_a_long_answer(tmp_path: Path, default_tokenizer_dir: Path) -> None:
    folder = tiny_gpt2(tmp_path / "gpt2-clf", default_tokenizer_dir, classifier=True)
    detector = load_hf_detector(str(folder), device="cpu", label_map=LABELS, batch_size=4)
    seen = reads(detector)
    outcomes = detector.detect_outcomes([("I can't. " + "long " * 300, None), *ITEMS])
    assert all(isinstance(o, RefusalVerdict) for o in outcomes)
    assert max(len(row) for row in seen) <= 64
    assert outcomes[1:] == [detector.detect(r, i) for r, i in ITEMS]


def test_gpt2_style_lm_head_models_are_guard_models(tmp_path: Path, default_tokenizer_dir: Path) -> None:
    folder = tiny_gpt2(tmp_path / "gpt2-guard", default_tokenizer_dir, classifier=False)
    assert model_kind(folder) == "guard"


def test_a_guard_with_a_short_context_reads_the_opening_of_a_long_answer(tmp_path: Path, default_tokenizer_dir: Path) -> None:
    folder = tiny_gpt2(tmp_path / "gpt2-guard", default_tokenizer_dir, classifier=False)
    template = PromptTemplate("Q: {instruction}\nA: {response}\nVerdict:")
    detector = load_hf_detector(str(folder), device="cpu", template=template, label_map={"zzz": "compliance"}, batch_size=4)
    seen = reads(detector)
    long_answer = "I can't. " + "long " * 300
    outcomes = detector.detect_outcomes([("short", "q"), (long_answer, "q")])
    assert all(isinstance(o, DetectorError) and "not in the label map" in str(o) for o in outcomes), outcomes
    assert len(seen[0]) + detector.max_new_tokens <= 64  # the first forward call reads the whole prompt
    read = [text for text in detector.tokenizer.batch_decode(seen[:2], skip_special_tokens=True) if "long" in text][0]
    assert read.startswith("Q: q\nA: I can't. long") and read.endswith("\nVerdict:")


def test_a_guard_prompt_that_cannot_fit_even_without_the_answer_fails_alone(tmp_path: Path, default_tokenizer_dir: Path) -> None:
    folder = tiny_gpt2(tmp_path / "gpt2-guard", default_tokenizer_dir, classifier=False)
    template = PromptTemplate("Q: {instruction}\nA: {response}\nVerdict:")
    detector = load_hf_detector(str(folder), device="cpu", template=template, label_map={"zzz": "compliance"})
    outcomes = detector.detect_outcomes([("short", "q"), ("short", "why " * 200)])
    assert "not in the label map" in str(outcomes[0])
    assert isinstance(outcomes[1], DetectorError) and "tokens" in str(outcomes[1]) and "\n" not in str(outcomes[1])


# --------------------------------------------------------------------------- odd heads and maps


def test_a_one_class_head_is_refused(tmp_path: Path, default_tokenizer_dir: Path) -> None:
    folder = build_tiny_classifier(tmp_path / "one", default_tokenizer_dir, ("SCORE",))
    with pytest.raises(DetectorConfigError, match="only one class"):
        check_hf_detector(str(folder), label_map={"score": "full_refusal"})
    with pytest.raises(DetectorConfigError, match="only one class"):
        load_hf_detector(str(folder), device="cpu", label_map={"score": "full_refusal"})


def test_default_label_names_and_numeric_string_keys(tiny_classifier: Path, tmp_path: Path) -> None:
    config = json.loads((tiny_classifier / "config.json").read_text())
    assert set(config["id2label"]) == {"0", "1"}  # saved with string keys
    plain = copy_with(tiny_classifier, tmp_path / "plain", config={"id2label": {"0": "LABEL_0", "1": "LABEL_1"},
                                                                    "label2id": {"LABEL_0": 0, "LABEL_1": 1}})
    check_hf_detector(str(plain), label_map={"LABEL_0": "compliance", "label_1": "full_refusal"})
    with pytest.raises(DetectorConfigError, match="does not map the class.*LABEL_1"):
        check_hf_detector(str(plain), label_map={"LABEL_0": "compliance"})
    detector = load_hf_detector(str(plain), device="cpu", label_map={"LABEL_0": "compliance", "LABEL_1": "full_refusal"})
    assert [v.evidence.split(" (p=")[0] for v in detector.detect_many(ITEMS)] == [
        f"classifier said '{n}" for n in (("LABEL_0" if v.label == "compliance" else "LABEL_1") for v in detector.detect_many(ITEMS))]


def test_a_guard_map_word_that_no_reply_can_start_with_is_refused(tiny_model: Path) -> None:
    template = PromptTemplate("{instruction} {response} Verdict:")
    for bad in ("0", "not sure", "yes!"):
        with pytest.raises(DetectorConfigError, match="can never be the first word"):
            check_hf_detector(str(tiny_model), label_map={bad: "compliance"}, template=template)


# --------------------------------------------------------------------------- the id


def test_the_id_changes_with_the_dtype(tiny_classifier: Path) -> None:
    fp32 = load_hf_detector(str(tiny_classifier), device="cpu", dtype="float32", label_map=LABELS)
    bf16 = load_hf_detector(str(tiny_classifier), device="cpu", dtype="bfloat16", label_map=LABELS)
    assert fp32.id != bf16.id
    assert fp32.id == load_hf_detector(str(tiny_classifier), device="cpu", dtype="fp32", label_map=LABELS).id
    assert bf16.detect_many(ITEMS)[0].detector == bf16.id


def test_the_id_changes_with_the_template_and_map(tiny_classifier: Path) -> None:
    base = load_hf_detector(str(tiny_classifier), device="cpu", label_map=LABELS)
    ids = {base.id,
           load_hf_detector(str(tiny_classifier), device="cpu", label_map={**LABELS, "normal": "partial_refusal"}).id,
           load_hf_detector(str(tiny_classifier), device="cpu", label_map=LABELS, template=PromptTemplate("A: {response}")).id,
           load_hf_detector(str(tiny_classifier), device="cpu", label_map=LABELS, template=PromptTemplate("B: {response}")).id}
    assert len(ids) == 4


def test_a_bad_label_map_given_in_python_is_one_clean_error(tiny_classifier: Path, tiny_model: Path) -> None:
    with pytest.raises(DetectorConfigError, match="must be one of full_refusal, partial_refusal, compliance"):
        load_hf_detector(str(tiny_classifier), device="cpu", label_map={"rejection": "refusal", "normal": "compliance"})
    with pytest.raises(DetectorConfigError, match="mapped twice"):
        check_hf_detector(str(tiny_classifier), label_map={"NORMAL": "compliance", "normal": "full_refusal",
                                                           "rejection": "full_refusal"})
    with pytest.raises(DetectorConfigError, match="must be one of"):
        check_hf_detector(str(tiny_model), label_map={"yes": "refused"}, template=PromptTemplate("{response}"))
