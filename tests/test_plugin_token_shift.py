"""Token shift through the plugin: a pair of tiny random Llamas sharing the default tokenizer."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tiny_model import build_tiny_llama

SUITE = """\
suite: demo/shift
defaults:
  generation: {max_new_tokens: 5}
cases:
  - id: strict
    instruction: "Name a fruit."
    expect: {token_shift: {shifted: "<= 0.0"}}
  - id: loose
    instruction: "Name a colour."
    expect: {token_shift: {shifted: "<= 1.0", mean_kl: ">= 0"}}
  - id: multi
    turns: ["hi", "hello", "bye"]
    expect: {token_shift: {shifted: "<= 0.0"}}
"""


@pytest.fixture(scope="module")
def aligned_model(tmp_path_factory: pytest.TempPathFactory, default_tokenizer_dir: Path) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-aligned"), seed=1, tokenizer_folder=default_tokenizer_dir)


@pytest.fixture
def shift_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.mkdir("suites") / "shift.yaml").write_text(SUITE)


def test_token_shift_is_measured_recorded_and_asserted(
    pytester: pytest.Pytester, shift_suite: None, tiny_model: Path, aligned_model: Path
) -> None:
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "suites", "--urial-model", str(tiny_model),
        "--urial-aligned-model", str(aligned_model), "--junitxml=junit.xml",
    )
    # Two unrelated random models disagree almost everywhere: "shifted <= 0" fails, the loose one passes,
    # and the multi-turn case is not measured (recorded, not asserted).
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "suites/shift.yaml:*: case 'strict': token shift (zero_shot): shifted = *, expected <= 0.0",
            "*token distribution shift (base vs aligned)*",
            "| demo/shift *| zero_shot *|*2 |*",
            "| demo/shift *| urial *|*2 |*",
            "token shift page: *token_shift.html",
        ]
    )
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    by_id = {c["id"]: c for c in record["cases"]}
    assert set(by_id["strict"]["token_shift"]) == {"zero_shot", "urial"}
    summary = by_id["strict"]["token_shift"]["zero_shot"]
    assert abs(summary["unshifted"] + summary["marginal"] + summary["shifted"] - 1) < 1e-9
    assert "token_shift" not in by_id["multi"]
    assert all("token_shift_detail" not in c for c in record["cases"])  # detail lives in per-case files
    run_dir = pytester.path / "reports" / f"run-{record['run_id']}"
    assert by_id["strict"]["token_shift_file"].startswith(f"run-{record['run_id']}/token_shift/demo-shift--strict-")
    artifact = json.loads((pytester.path / "reports" / by_id["strict"]["token_shift_file"]).read_text())
    assert len(artifact["contexts"]["zero_shot"]["metrics"]["ranks"]) == summary["positions"]
    page = (run_dir / "token_shift.html").read_text()
    assert "demo/shift" in page and "strict" in page and "<svg" in page
    props = {(c.get("name"), p.get("name")): p.get("value") for c in ET.parse(pytester.path / "junit.xml").iter("testcase") for p in c.iter("property")}
    assert float(props[("strict", "urial.token_shift.zero_shot.shifted")]) == pytest.approx(summary["shifted"], abs=1e-4)


def test_same_model_as_aligned_gives_zero_kl_with_matching_context(
    pytester: pytest.Pytester, shift_suite: None, tiny_model: Path
) -> None:
    # A chat template that renders exactly the zero-shot URIAL context: then the base and the
    # "aligned" model see identical inputs, so nothing shifts and KL is 0.
    template = pytester.path / "zero_shot.jinja"
    # (Jinja drops a template's final newline, hence the explicit one.)
    template.write_text("# Query:\n```\n{{ messages[-1]['content'] }}\n```\n\n# Answer:\n```{{ '\\n' }}")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "suites", "-k", "strict", "--urial-model", str(tiny_model),
        "--urial-aligned-model", str(tiny_model), "--urial-shift-context", "zero_shot",
        "--urial-chat-template", str(template),
    )
    result.assert_outcomes(passed=1)
    case = json.loads((pytester.path / "reports" / "latest.json").read_text())["cases"][0]
    assert case["token_shift"]["zero_shot"]["unshifted"] == 1.0
    assert case["token_shift"]["zero_shot"]["mean_kl"] == pytest.approx(0.0, abs=1e-6)


def test_token_shift_expectations_without_aligned_model_are_recorded_not_asserted(
    pytester: pytest.Pytester, shift_suite: None, tiny_model: Path
) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-model", str(tiny_model))
    result.assert_outcomes(passed=3)
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    checks = {c["id"]: c["checks"] for c in record["cases"]}
    assert {"name": "token_shift", "passed": True, "asserted": False, "message": "token shift not measured (no --urial-aligned-model)"} in checks["strict"]


def test_bad_aligned_model_path_is_a_usage_error(pytester: pytest.Pytester, shift_suite: None, tiny_model: Path) -> None:
    result = pytester.runpytest("suites", "--urial-model", str(tiny_model), "--urial-aligned-model", "./nope")
    result.stderr.fnmatch_lines(["ERROR: --urial-aligned-model ./nope: no such file or folder*"])


def test_sequential_loading_gives_the_same_measurements(
    pytester: pytest.Pytester, shift_suite: None, tiny_model: Path, aligned_model: Path
) -> None:
    args = ["-p", "no:cacheprovider", "suites", "-k", "strict or loose", "--urial-model", str(tiny_model),
            "--urial-aligned-model", str(aligned_model)]
    pytester.runpytest(*args).assert_outcomes(passed=1, failed=1)
    together = json.loads((pytester.path / "reports" / "latest.json").read_text())
    pytester.runpytest(*args, "--urial-shift-sequential").assert_outcomes(passed=1, failed=1)
    apart = json.loads((pytester.path / "reports" / "latest.json").read_text())
    for a, b in zip(together["cases"], apart["cases"]):
        for context in ("zero_shot", "urial"):
            assert a["token_shift"][context]["shifted"] == b["token_shift"][context]["shifted"]
            assert a["token_shift"][context]["mean_kl"] == pytest.approx(b["token_shift"][context]["mean_kl"], rel=1e-6)


def test_long_suite_names_and_ids_give_short_artifact_names(pytester: pytest.Pytester, tiny_model: Path,
                                                           aligned_model: Path) -> None:
    pytester.makeini("[pytest]\n")
    name, case_id = "n" * 150 + "/" + "m" * 150, "c" * 200
    (pytester.mkdir("suites") / "long.yaml").write_text(
        f"suite: {name}\ndefaults:\n  generation: {{max_new_tokens: 3}}\ncases:\n  - id: {case_id}\n    instruction: hi\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "suites", "--urial-model", str(tiny_model),
                                "--urial-aligned-model", str(aligned_model), "--urial-shift-context", "zero_shot")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*Traceback*")
    record = json.loads((pytester.path / "reports" / "latest.json").read_text())
    (case,) = record["cases"]
    artifact = pytester.path / "reports" / case["token_shift_file"]
    assert len(artifact.name) <= 85 and artifact.parent.name == "token_shift"
    assert json.loads(artifact.read_text())["suite"] == name
