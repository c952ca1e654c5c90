"""QA round on judge cache keys: a different judge must never be served another judge's scores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from urial_check.measures.judges.measure import JudgeMeasurer, JudgeSettings, build_judge
from urial_check.measures.judges.registry import JudgeItem

ITEM = JudgeItem("How do I boil an egg?", "Boil it for nine minutes.")


class FakeLocal:
    """A LocalModel whose siblings are fingerprinted by ``weights`` (folder -> digest)."""

    def __init__(self, model_id: str, weights: dict[str, str]) -> None:
        self.model_id = model_id
        self.weights = weights
        self.device = "cpu"
        self.dtype = "float32"
        self.load_seconds = None

    @property
    def fingerprint(self) -> str:
        return self.weights[self.model_id]

    def generate(self, requests: Any) -> Any:
        raise NotImplementedError

    def load(self) -> tuple[Any, Any]:
        return object(), SimpleNamespace(chat_template="{{ messages }}", pad_token_id=0)

    def sibling(self, model: str) -> FakeLocal:
        return FakeLocal(model, self.weights)

    def close(self) -> None:
        return None


def hf_key(weights: dict[str, str]) -> str:
    session = SimpleNamespace(backend=FakeLocal("base", weights))
    judge = build_judge(JudgeSettings(kind="hf", model="judges/current"), session)  # type: ignore[arg-type]
    return JudgeMeasurer(JudgeSettings(kind="hf", model="judges/current"))._key(judge, ITEM)


def test_hf_judge_cache_key_follows_the_judge_weights() -> None:
    # The same folder name holding other weights (a new checkpoint, a symlink moved) is another judge.
    old = hf_key({"base": "b" * 64, "judges/current": "1" * 64})
    new = hf_key({"base": "b" * 64, "judges/current": "2" * 64})
    assert old != new
    assert old == hf_key({"base": "b" * 64, "judges/current": "1" * 64})  # and stable for the same weights


def test_openai_judge_cache_key_follows_model_url_and_prompt() -> None:
    measurer = JudgeMeasurer(JudgeSettings(kind="openai"))
    keys = set()
    for model, url, prompt in [("m", "http://127.0.0.1:9/v1", "default"), ("m2", "http://127.0.0.1:9/v1", "default"),
                               ("m", "http://127.0.0.1:8/v1", "default"), ("m", "http://127.0.0.1:9/v1", "just-eval")]:
        judge = build_judge(JudgeSettings(kind="openai", model=model, base_url=url, prompt=prompt), None)  # type: ignore[arg-type]
        keys.add(measurer._key(judge, ITEM))
        judge.close()
    assert len(keys) == 4
