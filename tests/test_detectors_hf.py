"""The hf refusal detector on tiny random models: a sequence-classification head and a causal guard model."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from urial_check.measures.detectors import DetectorConfigError, DetectorError, PromptTemplate, RefusalDetector, build_detector
from urial_check.measures.detectors import DetectorSettings
from urial_check.measures.detectors.hf import HFDetector, first_word, load_hf_detector, model_kind
from urial_check.measures.refusal import RefusalVerdict

ITEMS = [
    ("I can't help with that request.", "How do I pick a lock?"),
    ("Boil it for eight minutes, then cool it in cold water.", "How do I boil an egg?"),
    ("Sure! Step one: gather the tools. Step two: follow the manual, it explains every part at length.", "Fix a bike?"),
    ("No.", "Can you do my homework?"),
    ("Here is a poem about the sea, waves and wind.", None),
]


def build_tiny_classifier(folder: Path, tokenizer_folder: Path, labels: tuple[str, ...] = ("NORMAL", "REJECTION")) -> Path:
    """A tiny random Llama with a sequence-classification head, saved with the default tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    folder.mkdir(parents=True, exist_ok=True)
    for item in tokenizer_folder.iterdir():
        if item.is_file():
            shutil.copy2(item, folder / item.name)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=4096, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)},
        initializer_range=0.5,
    )
    torch.manual_seed(1)
    LlamaForSequenceClassification(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory: pytest.TempPathFactory, default_tokenizer_dir: Path) -> Path:
    return build_tiny_classifier(tmp_path_factory.mktemp("tiny-clf"), default_tokenizer_dir)


def expected_classes(folder: Path, texts: list[str]) -> list[str]:
    """What the model itself says, one text at a time (no batching, no padding)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=torch.float32).eval()
    out = []
    for text in texts:
        with torch.no_grad():
            logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
        out.append(model.config.id2label[int(logits.argmax())])
    return out


def test_classifier_head_with_a_label_map(tiny_classifier: Path) -> None:
    assert model_kind(tiny_classifier) == "classifier"
    detector = build_detector(DetectorSettings(kind="hf", model=str(tiny_classifier), device="cpu", batch_size=2,
                                               label_map=(("rejection", "full_refusal"), ("normal", "compliance"))))
    assert isinstance(detector, RefusalDetector) and isinstance(detector, HFDetector) and detector.kind == "classifier"
    verdicts = detector.detect_many(ITEMS)
    classes = expected_classes(tiny_classifier, [r for r, _ in ITEMS])
    assert len(set(classes)) == 2, "the random head should not give one class to every text"
    mapped = {"REJECTION": "full_refusal", "NORMAL": "compliance"}
    assert [v.label for v in verdicts] == [mapped[c] for c in classes]
    for verdict, name in zip(verdicts, classes):
        assert verdict.rule == "classifier" and verdict.detector == detector.id
        assert verdict.evidence.startswith(f"classifier said '{name} (p=")
    assert detector.id.startswith(f"hf:{tiny_classifier.name}@")
    # batched in any order, one at a time: the same verdicts
    assert [detector.detect(r, i) for r, i in ITEMS] == verdicts


def test_label_map_changes_the_id_and_must_cover_every_class(tiny_classifier: Path) -> None:
    one = load_hf_detector(str(tiny_classifier), device="cpu", label_map={"rejection": "full_refusal", "normal": "compliance"})
    two = load_hf_detector(str(tiny_classifier), device="cpu", label_map={"rejection": "partial_refusal", "normal": "compliance"})
    assert one.id != two.id and one.id.split(":")[1] == two.id.split(":")[1]  # same weights, other settings
    with pytest.raises(DetectorConfigError, match="does not map the class.*NORMAL"):
        load_hf_detector(str(tiny_classifier), device="cpu", label_map={"rejection": "full_refusal"})
    with pytest.raises(DetectorConfigError, match="has the classes NORMAL, REJECTION; map each"):
        load_hf_detector(str(tiny_classifier), device="cpu")


def test_classifier_whose_classes_are_our_labels_needs_no_map(tmp_path: Path, default_tokenizer_dir: Path) -> None:
    folder = build_tiny_classifier(tmp_path / "ours", default_tokenizer_dir, ("compliance", "full_refusal", "partial_refusal"))
    detector = load_hf_detector(str(folder), device="cpu")
    assert {v.label for v in detector.detect_many(ITEMS)} <= {"compliance", "full_refusal", "partial_refusal"}


def guard_reply(model_dir: Path, prompt: str, max_new_tokens: int = 8) -> str:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    enc = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    return str(tokenizer.decode(out[0, enc["input_ids"].shape[1]:].tolist(), skip_special_tokens=True))


def test_causal_guard_model_maps_its_first_word(tiny_model: Path, tmp_path: Path) -> None:
    template_file = tmp_path / "guard.txt"
    template_file.write_text("Request: {instruction}\nAnswer: {response}\nDid the answer refuse?", encoding="utf-8")
    template = PromptTemplate.from_file(template_file)
    assert model_kind(tiny_model) == "guard"
    words = [first_word(guard_reply(tiny_model, template.render(i, r))) for r, i in ITEMS]
    assert all(words), words
    # Map the first word the model gives for the first answer to full_refusal, every other word it gives to compliance.
    label_map = {w.lower(): "compliance" for w in words if w}
    label_map[words[0].lower()] = "full_refusal"  # type: ignore[union-attr]
    detector = load_hf_detector(str(tiny_model), device="cpu", template=template, label_map=label_map, batch_size=3)
    assert detector.kind == "guard"
    verdicts = detector.detect_many(ITEMS)
    assert [v.label for v in verdicts] == [label_map[w.lower()] for w in words if w]
    assert all(v.rule == "classifier" and v.detector == detector.id for v in verdicts)
    # a first word outside the map is an error for that answer, quoting the reply
    narrow = load_hf_detector(str(tiny_model), device="cpu", template=template, label_map={"zzzunlikely": "compliance"})
    outcomes = narrow.detect_outcomes(ITEMS[:2])
    assert all(isinstance(o, DetectorError) for o in outcomes)
    assert "first word of the reply is not in the label map (zzzunlikely)" in str(outcomes[0])


def test_guard_model_needs_a_template_and_a_map(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(DetectorConfigError, match="needs a prompt template"):
        load_hf_detector(str(tiny_model), device="cpu", label_map={"safe": "compliance"})
    template = PromptTemplate("{instruction} {response}")
    with pytest.raises(DetectorConfigError, match="needs a label map"):
        load_hf_detector(str(tiny_model), device="cpu", template=template)
    with pytest.raises(DetectorConfigError, match="no such file or folder"):
        load_hf_detector(str(tmp_path / "nowhere"), device="cpu")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "config.json").write_text('{"architectures": ["BertModel"]}')
    for name in ("model.safetensors", "tokenizer.json"):  # present, so the architecture is what fails
        (tmp_path / "odd" / name).write_text("{}")
    with pytest.raises(DetectorConfigError, match="neither a sequence-classification nor a causal LM.*BertModel"):
        load_hf_detector(str(tmp_path / "odd"), device="cpu")


def test_verdicts_are_plain_refusal_verdicts(tiny_classifier: Path) -> None:
    detector: Any = load_hf_detector(str(tiny_classifier), device="cpu", label_map={"rejection": "full_refusal", "normal": "compliance"})
    verdict = detector.detect("Hello there.")
    assert isinstance(verdict, RefusalVerdict) and verdict.refused == (verdict.label != "compliance")


def test_guard_model_word_after_a_marker(tiny_model: Path, tmp_path: Path) -> None:
    template = PromptTemplate("Request: {instruction}\nAnswer: {response}\nVerdicts:")
    reply = guard_reply(tiny_model, template.render(ITEMS[1][1], ITEMS[1][0]), max_new_tokens=32)
    marker = first_word(reply)
    assert marker, reply
    after = first_word(reply[reply.find(marker) + len(marker):])
    assert after, reply
    detector = load_hf_detector(str(tiny_model), device="cpu", template=template, answer_after=marker,
                                label_map={after: "partial_refusal"})
    assert detector.detect(*ITEMS[1]).label == "partial_refusal"
    plain = load_hf_detector(str(tiny_model), device="cpu", template=template, label_map={after: "partial_refusal"})
    assert plain.id != detector.id
    missing = load_hf_detector(str(tiny_model), device="cpu", template=template, answer_after="Response refusal:",
                               label_map={"yes": "full_refusal", "no": "compliance"})
    with pytest.raises(DetectorError, match="no 'Response refusal:' in the reply"):
        missing.detect(*ITEMS[1])


def test_label_map_names_that_are_no_class_of_the_model_are_errors() -> None:
    from urial_check.measures.detectors.base import DetectorConfigError
    from urial_check.measures.detectors.hf import classifier_label_map

    names = ["NORMAL", "REJECTION"]
    good = {"rejection": "full_refusal", "normal": "compliance"}
    assert classifier_label_map(names, good, "m") == good
    with pytest.raises(DetectorConfigError, match=r"(?i)nromal.* not a class of m \(its classes: NORMAL, REJECTION\)"):
        classifier_label_map(names, {**good, "nromal": "compliance"}, "m")
    with pytest.raises(DetectorConfigError) as info:  # no map: the hint does not guess which class is which
        classifier_label_map(names, {}, "m")
    assert "NORMAL=...,REJECTION=..." in str(info.value) and "NORMAL=full_refusal" not in str(info.value)
