"""Turning prompts into answers: the URIAL prompt, backends, the batched engine, the result cache."""
