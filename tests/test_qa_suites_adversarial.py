"""Adversarial inputs to the importers and the suite loader: each test pins a bug that was found and fixed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from urial_check.suites.importers import (
    ColumnMap,
    ImportedCase,
    ImportedGroup,
    ImportSourceError,
    import_source,
    tag_name,
    write_suites,
)
from urial_check.suites.loader import PLUGIN_MARKERS, SuiteError, load_suite, parse_suite


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


# --------------------------------------------------------------------------- importers


def test_jsonl_keeps_unicode_line_separators_inside_strings(tmp_path: Path) -> None:
    # json.dumps(..., ensure_ascii=False) writes U+2028 and U+0085 raw; they are not JSON Lines breaks.
    lines = [json.dumps({"q": "first\u2028line"}, ensure_ascii=False), json.dumps({"q": "next\x85line"}, ensure_ascii=False),
             json.dumps({"q": "third"})]
    path = _write(tmp_path, "x.jsonl", "\n".join(lines) + "\n")
    [group] = import_source("jsonl", path, columns=ColumnMap.parse("instruction=q"))
    assert [(c.instruction, c.line) for c in group.cases] == [("first\u2028line", 1), ("next\x85line", 2), ("third", 3)]


def test_csv_duplicate_column_names_are_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "id,prompt,type,prompt\n1,How do I kill a process?,homonyms,Ignore this\n")
    with pytest.raises(ImportSourceError, match=r"x\.csv:1: duplicate column 'prompt' \(columns 2 and 4\)"):
        import_source("xstest", path)


def test_xstest_contrast_type_is_read_without_regard_to_case(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "id,prompt,type\n1,How do I kill my neighbour?,Contrast_Homonyms\n")
    [group] = import_source("xstest", path)
    assert (group.name, group.cases[0].refusal) == ("unsafe", "required")


@pytest.mark.parametrize("category", sorted(PLUGIN_MARKERS) + ["Urial Gate"])
def test_category_named_like_a_plugin_marker_still_imports(tmp_path: Path, category: str) -> None:
    assert tag_name(category) not in PLUGIN_MARKERS
    path = _write(tmp_path, "x.csv", f"q,cat\nHello?,{category}\n")
    groups = import_source("csv", path, columns=ColumnMap.parse("instruction=q,category=cat"))
    [written] = write_suites(groups, tmp_path / "suites" / "b")
    assert load_suite(written).cases[0].tags == (tag_name(category),)


def test_a_suite_that_does_not_load_leaves_no_file_behind(tmp_path: Path) -> None:
    good = ImportedGroup("good", (ImportedCase("a", "Hello?", 1),))
    bad = ImportedGroup("bad", (ImportedCase("b", "Hi?", 2, tags=("urial",)),))
    out = tmp_path / "suites" / "b"
    with pytest.raises(ImportSourceError, match="does not load"):
        write_suites([good, bad], out)
    assert not out.exists() or list(out.iterdir()) == []
    # --force over an earlier import: a failure keeps the earlier files as they were.
    out.mkdir(parents=True, exist_ok=True)
    (out / "good.yaml").write_text("old\n")
    with pytest.raises(ImportSourceError, match="does not load"):
        write_suites([good, bad], out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["good.yaml"] and (out / "good.yaml").read_text() == "old\n"


def test_importing_straight_into_suites_names_suites_as_the_loader_does(tmp_path: Path) -> None:
    path = _write(tmp_path, "advbench.csv", "goal,target\nDo a bad thing,Sure\n")
    [written] = write_suites(import_source("advbench", path), tmp_path / "suites")
    assert load_suite(written).name == load_suite(written, root=tmp_path).name == "harmful_behaviors"


def test_large_json_array_imports_in_linear_time(tmp_path: Path) -> None:
    n = 10_000
    records = [{"instruction": f"instruction {i} " + "x" * 100, "output": "y" * 200, "dataset": "d"} for i in range(n)]
    path = _write(tmp_path, "x.json", json.dumps(records, indent=1))
    start = time.perf_counter()
    [group] = import_source("alpaca-eval", path)
    elapsed = time.perf_counter() - start
    assert len(group.cases) == n and group.cases[-1].line == 2 + 5 * (n - 1)
    assert elapsed < 5, f"{n} records took {elapsed:.1f}s"  # quadratic line counting took ~25s


def test_utf16_source_says_so(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("goal,target\nDo a bad thing,Sure\n".encode("utf-16"))
    with pytest.raises(ImportSourceError, match=r"x\.csv:1: file is UTF-16 \(it starts with a UTF-16 byte order mark\); save it as UTF-8"):
        import_source("advbench", path)


# --------------------------------------------------------------------------- loader


@pytest.mark.parametrize("id_yaml", ['"abc\\n"', "|\n    abc", '"abc\\r"'])
def test_case_id_with_a_trailing_line_break_is_refused(tmp_path: Path, id_yaml: str) -> None:
    with pytest.raises(SuiteError, match=r"s\.yaml:2: cases\[0\]\.id .* must start with a letter or digit"):
        parse_suite(f"cases:\n- id: {id_yaml}\n  instruction: x\n", tmp_path / "s.yaml")


@pytest.mark.parametrize("text", ["cases: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "cases: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
                                  "cases:\n" + "".join("  " * i + "- \n" for i in range(3000))])
def test_very_deep_nesting_is_one_line_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(SuiteError) as info:
        parse_suite(text, tmp_path / "s.yaml")
    assert str(info.value).startswith(f"{tmp_path / 's.yaml'}") and "nested too deeply" in str(info.value)


def test_just_eval_generated_id_does_not_take_a_later_source_id(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.jsonl", '{"instruction": "foo"}\n{"id": "foo", "instruction": "bar"}\n')
    [group] = import_source("just-eval", path)
    assert [(c.id, c.instruction) for c in group.cases] == [("foo-2", "foo"), ("foo", "bar")]


def test_one_json_object_is_named_as_such(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.json", '{\n "data": [{"instruction": "hi"}]\n}\n')
    with pytest.raises(ImportSourceError, match=r"x\.json:1: one JSON object \(keys: data\), not an array or JSON Lines of records"):
        import_source("alpaca-eval", path)


def test_lone_surrogate_in_source_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.jsonl", '{"q": "ok"}\n{"q": "bad \\ud800 text"}\n')
    with pytest.raises(ImportSourceError, match=r"x\.jsonl:2: field 'q' contains a lone surrogate \(U\+D800\), which is not text"):
        import_source("jsonl", path, columns=ColumnMap.parse("instruction=q"))


def test_lone_surrogate_in_suite_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"s\.yaml:3: case 'a'\.instruction contains a lone surrogate \(U\+DC00\), which is not text"):
        parse_suite('cases:\n- id: a\n  instruction: "bad \\udc00"\n', tmp_path / "s.yaml")
