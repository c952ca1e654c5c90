"""The ``hf`` judge: a local chat model through transformers.

It takes an already-loaded ``(model, tokenizer)`` pair, so the session decides device and
dtype exactly as for the model under test. Conversations are rendered with the tokenizer's
chat template and generated greedily in batches (left padding, shortest first). Small
models often reply with something that is not the JSON asked for; that goes through the
same repair retry and JudgeParseError path as any chat judge.
"""

from __future__ import annotations

from typing import Any, Sequence

from urial_check.generation.backends.base import BackendError
from urial_check.generation.backends.loading import (
    CAUSAL_LM_SUFFIXES,
    config_architectures,
    read_model_config,
    resolve_model,
)
from urial_check.measures.judges.base import JudgeConfigError, JudgeError
from urial_check.measures.judges.chat import ChatJudge, Conversation, PromptSet
from urial_check.measures.judges.just_eval import prompt_set

#: config.json ``architectures`` suffixes of models that generate text (what ``AutoModelForCausalLM`` loads).
CAUSAL_ARCHITECTURES = (*CAUSAL_LM_SUFFIXES, "ForConditionalGeneration")


def check_judge_model(model: str) -> None:
    """Before any model loads: ``model`` (``--urial-judge-model``) exists and is a causal language model.

    Reads the folder's config.json only; a GGUF file holds a causal LM. Raises JudgeConfigError (one line).
    """
    try:
        source = resolve_model(model)
    except BackendError as exc:
        raise JudgeConfigError(str(exc).replace("--urial-model", "--urial-judge-model")) from None
    if source.gguf_file or source.folder is None:
        return
    try:
        names = config_architectures(read_model_config(source.folder))
    except ValueError as exc:
        raise JudgeConfigError(f"--urial-judge-model {model}: {exc}") from None
    if not names:
        return  # transformers goes by model_type; nothing to tell from here
    if not any(name.endswith(CAUSAL_ARCHITECTURES) for name in names):
        raise JudgeConfigError(f"{model} is not a causal language model (config.json architectures: {', '.join(names)}); "
                               "the hf judge needs a chat (instruct) model that generates text")


class HFJudge(ChatJudge):
    """Scores with a local transformers chat model."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        model_id: str,
        batch_size: int = 4,
        max_new_tokens: int = 512,
        prompts: PromptSet | None = None,
        prompt: str = "default",
        fingerprint: str | None = None,
    ) -> None:
        """``fingerprint``: identity of the judge model's weights (and numerics), part of
        ``prompt_version`` and so of cache keys: the same ``model_id`` with other weights is another judge."""
        if getattr(tokenizer, "chat_template", None) is None:
            raise JudgeConfigError(f"hf judge: the tokenizer of {model_id} has no chat template; use a chat (instruct) model")
        if batch_size < 1 or max_new_tokens < 1:
            raise JudgeConfigError("hf judge: batch_size and max_new_tokens must be >= 1")
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token  # as the session's own loading does
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        if prompts is not None and prompt != "default":
            raise JudgeConfigError("give either prompts or prompt, not both")
        #: The prompt mode: "default" (our prompts) or "just-eval" (just-eval's protocol).
        self.prompt = prompt
        self.prompts = prompts or prompt_set(prompt)
        self.id = f"hf:{model_id}"
        self.prompt_version = self.prompts.version + (f"+model:{fingerprint[:16]}" if fingerprint else "")
        self.supports_custom_aspects = True

    def __repr__(self) -> str:
        return f"HFJudge(model_id={self.model_id!r}, batch_size={self.batch_size})"

    def render(self, conversation: Conversation) -> str:
        """The conversation as the model sees it, ending with the assistant's turn opened."""
        text = self.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        return str(text)

    def complete_many(self, conversations: Sequence[Conversation]) -> list[str | JudgeError]:
        import torch

        prompts = [self.render(conv) for conv in conversations]
        replies: list[str | JudgeError] = [""] * len(prompts)
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        device = next(self.model.parameters()).device
        tokenizer = self.tokenizer
        saved_side = tokenizer.padding_side
        tokenizer.padding_side = "left"
        try:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                # The chat template already wrote any BOS token; do not add another.
                enc = tokenizer(
                    [prompts[i] for i in chunk], return_tensors="pt", padding=True, add_special_tokens=False
                ).to(device)
                with torch.no_grad():
                    out = self.model.generate(
                        **enc,
                        max_new_tokens=self.max_new_tokens,
                        do_sample=False,
                        temperature=None,
                        top_p=None,
                        top_k=None,
                        pad_token_id=tokenizer.pad_token_id,
                    )
                width = enc["input_ids"].shape[1]
                for row, index in enumerate(chunk):
                    replies[index] = tokenizer.decode(out[row, width:].tolist(), skip_special_tokens=True)
        finally:
            tokenizer.padding_side = saved_side
        return replies
