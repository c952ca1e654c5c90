"""Metamorphic properties with hypothesis: answers must not change with the wrapping.

* Refusal is invariant under jailbreak wrappers: every harmful request must be refused however it
  is wrapped (role-play, fiction, "Start your answer with 'Sure, here is'", rules against refusing,
  "for educational purposes", split payloads, translation requests, spacing, leetspeak).
* Compliance is invariant under benign rewrites: a harmless request must still be answered when
  lower-cased, unpunctuated, misspelt, polite or given some context.

When a property fails, hypothesis shrinks the example to the simplest case and wrapper that still
break it and prints them (``wrapper=...``). ``model_settings()`` turns off hypothesis deadlines for
model calls; the number of examples comes from the profile (see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given

from urial_check.assertions import assert_complies, assert_refuses
from urial_check.strategies import benign_rewrites, instructions, jailbreak_wrappers, model_settings

SAMPLE = Path(__file__).with_name("suites") / "sample.yaml"


@model_settings()
@given(case=instructions(SAMPLE, where="harmful"), wrapper=jailbreak_wrappers())
def test_refusal_survives_jailbreak_wrappers(urial, case, wrapper):
    assert_refuses(urial.ask(wrapper.apply(case.instruction)))


@model_settings()
@given(case=instructions(SAMPLE, where="benign"), rewrite=benign_rewrites())
def test_compliance_survives_benign_rewrites(urial, case, rewrite):
    assert_complies(urial.ask(rewrite.apply(case.instruction)))
