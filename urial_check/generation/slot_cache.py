"""A KV cache of fixed row slots over one shared prefix: the layout behind continuous batching.

Every layer keeps one buffer ``[slots, kv heads, columns, head dim]``:

* columns ``[0, fixed)`` hold the shared prefix (the URIAL prompt), written once into every slot
  when the cache is made and never moved or overwritten;
* each active row's own tokens (its suffix, then what it generated) lie right-aligned in columns
  ``[start, length)``, so every row writes its next token into column ``length`` at each decode
  step; columns ``[fixed, start)`` of a row are a gap the attention mask hides, and position ids
  are the row's own (they skip the gap), so a row computes what it would compute alone;
* a new row is prefilled straight into a free slot: its suffix's keys are written to end at
  column ``length``, attending to the prefix already in the slot (no copy of the prefix); when
  the suffix is longer than the columns in use, the active rows' columns are first moved right
  to make room;
* a finished row's slot is filled by moving a row from the end into it (only the non-prefix
  columns are copied), and columns no active row uses any more are dropped
  (:data:`COMPACT_COLUMNS` at a time), so a long run does not attend over an ever wider gap.

Only plain full-attention layers can be laid out like this (a sliding window would count gap
columns as tokens); the engine keeps its one-batch-at-a-time path for other models.
"""

from __future__ import annotations

import functools
from typing import Any

#: Unused columns between the prefix and the oldest active row that are dropped at once.
COMPACT_COLUMNS = 32


class SlotCache:
    """The cache of one continuous batch: ``cache`` is handed to the model's forward pass."""

    def __init__(self, model: Any, prefix: Any, slots: int, capacity: int) -> None:
        from transformers import DynamicCache

        self.cache = DynamicCache(config=model.config)
        layer = _slot_layer_class()
        if prefix is None:
            self.cache.layers = [layer(slots, capacity) for _ in self.cache.layers]
            self.fixed = 0
        else:
            self.cache.layers = [layer(slots, capacity, p.keys, p.values) for p in prefix.layers]
            self.fixed = int(prefix.get_seq_length())
        self.slots = slots
        #: Columns in use (prefix included); the next decode step writes column ``length``.
        self.length = self.fixed
        #: Per active row (slot order): the first column of its own tokens.
        self.starts: list[int] = []

    @property
    def rows(self) -> int:
        return len(self.starts)

    def free(self) -> int:
        return self.slots - self.rows

    def admit(self, suffixes: list[list[int]], pad: int, device: Any) -> tuple[Any, Any, Any]:
        """Reserve the next free slots for rows with these suffix token ids.

        Returns ``(input_ids, attention_mask, position_ids)`` for the prefill forward pass that
        must follow at once (suffixes right-aligned, pads masked); the layers are set to write
        its keys into the new slots, ending at column ``length``.
        """
        import torch

        if len(suffixes) > self.free():
            raise ValueError(f"{len(suffixes)} rows do not fit in {self.free()} free slots")
        width = max(len(s) for s in suffixes)
        need = width - (self.length - self.fixed)
        if need > 0:  # move the active rows' own columns right to make room
            for layer in self._layers():
                layer.shift(self.rows, self.fixed, self.length, self.fixed + need)
            self.starts = [s + need for s in self.starts]
            self.length += need
        low, high, at = self.rows, self.rows + len(suffixes), self.length - width
        input_ids = torch.full((len(suffixes), width), pad, dtype=torch.long, device=device)
        mask = torch.zeros((len(suffixes), self.length), dtype=torch.long, device=device)
        mask[:, : self.fixed] = 1
        for b, suffix in enumerate(suffixes):
            input_ids[b, width - len(suffix):] = torch.tensor(suffix, device=device)
            mask[b, self.length - len(suffix):] = 1
            self.starts.append(self.length - len(suffix))
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, at:]
        for layer in self._layers():
            layer.clear(low, high, self.fixed, at)  # a slot's old keys may be anything, even NaN
            layer.window(low, high, at)
        return input_ids, mask, positions

    def step(self, device: Any) -> Any:
        """Set the layers for one decode step of every active row; returns its attention mask."""
        import torch

        for layer in self._layers():
            layer.window(0, self.rows, self.length)
        self.length += 1
        columns = torch.arange(self.length, device=device)
        starts = torch.tensor(self.starts, device=device)
        return ((columns[None, :] < self.fixed) | (columns[None, :] >= starts[:, None])).long()

    def drop(self, keep: list[int]) -> list[int]:
        """Keep active rows ``keep``; returns the new slot order (new slot -> old slot)."""
        order = fill_holes(keep, self.rows)
        for layer in self._layers():
            layer.move_rows(order, self.fixed, self.length)
        self.starts = [self.starts[b] for b in order]
        if not self.starts:
            self.length = self.fixed
        elif min(self.starts) - self.fixed >= COMPACT_COLUMNS:
            gap = min(self.starts) - self.fixed
            for layer in self._layers():
                layer.shift(self.rows, self.fixed + gap, self.length, self.fixed)
            self.starts = [s - gap for s in self.starts]
            self.length -= gap
        return order

    def _layers(self) -> list[Any]:
        return list(self.cache.layers)


def fill_holes(keep: list[int], rows: int) -> list[int]:
    """Row order after dropping finished rows: kept rows from the end move into the holes.

    Returns, for each new row position, the old row it comes from. Rows already in place stay,
    so only the moved rows are copied.
    """
    count = len(keep)
    kept = set(keep)
    holes = [i for i in range(count) if i not in kept]
    movers = [i for i in keep if i >= count]
    order = list(range(count))
    for hole, mover in zip(holes, movers):
        order[hole] = mover
    return order


@functools.cache
def _slot_layer_class() -> type:
    """Defined on first use, so that importing this module does not import transformers."""
    from transformers.cache_utils import DynamicLayer

    class SlotLayer(DynamicLayer):  # type: ignore[misc]
        """One layer's keys and values in a preallocated ``[slots, heads, columns, dim]`` buffer.

        :meth:`window` says which rows the next forward pass runs on and at which column it
        writes; ``keys``/``values`` are views of those rows up to the written columns.
        """

        def __init__(self, slots: int, capacity: int, keys: Any = None, values: Any = None) -> None:
            super().__init__()
            self.slots = slots
            self.capacity = capacity
            self.low = self.high = self.at = 0
            self.key_buffer: Any = None
            self.value_buffer: Any = None
            if keys is not None:
                self._allocate(keys, values)
                assert self.key_buffer is not None and self.value_buffer is not None
                self.key_buffer[:, :, : keys.shape[-2]] = keys  # the prefix, in every slot
                self.value_buffer[:, :, : values.shape[-2]] = values

        def _allocate(self, keys: Any, values: Any) -> None:
            _, heads, _, key_dim = keys.shape
            self.key_buffer = keys.new_zeros((self.slots, heads, self.capacity, key_dim))
            self.value_buffer = values.new_zeros((self.slots, heads, self.capacity, values.shape[-1]))
            self.dtype, self.device = keys.dtype, keys.device
            self.is_initialized = True

        def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
            self._allocate(key_states, value_states)

        def window(self, low: int, high: int, at: int) -> None:
            self.low, self.high, self.at = low, high, at

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            if not self.is_initialized:
                self._allocate(key_states, value_states)
            end = self.at + key_states.shape[-2]
            self._ensure(end)
            self.key_buffer[self.low:self.high, :, self.at:end] = key_states
            self.value_buffer[self.low:self.high, :, self.at:end] = value_states
            self.keys = self.key_buffer[self.low:self.high, :, :end]
            self.values = self.value_buffer[self.low:self.high, :, :end]
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.at

        def move_rows(self, order: list[int], start: int, stop: int) -> None:
            """Row ``order[new]`` moves to row ``new``, columns ``[start, stop)`` only."""
            if not self.is_initialized:
                return
            for new, old in enumerate(order):
                if new != old:
                    self.key_buffer[new, :, start:stop] = self.key_buffer[old, :, start:stop]
                    self.value_buffer[new, :, start:stop] = self.value_buffer[old, :, start:stop]

        def shift(self, rows: int, start: int, stop: int, to: int) -> None:
            """Move columns ``[start, stop)`` of the first ``rows`` rows to begin at column ``to``."""
            if not self.is_initialized or rows == 0 or stop <= start:
                return
            self._ensure(to + stop - start)
            for buffer in (self.key_buffer, self.value_buffer):
                buffer[:rows, :, to:to + stop - start] = buffer[:rows, :, start:stop].clone()

        def clear(self, low: int, high: int, start: int, stop: int) -> None:
            if self.is_initialized and stop > start:
                self.key_buffer[low:high, :, start:stop] = 0
                self.value_buffer[low:high, :, start:stop] = 0

        def _ensure(self, columns: int) -> None:
            if columns > self.key_buffer.shape[-2]:  # not expected (capacity covers a run); grow anyway
                extra = columns - self.key_buffer.shape[-2] + 64
                self.key_buffer = _grow(self.key_buffer, extra)
                self.value_buffer = _grow(self.value_buffer, extra)

    return SlotLayer


def _grow(buffer: Any, extra: int) -> Any:
    import torch

    return torch.cat([buffer, buffer.new_zeros(buffer.shape[:2] + (extra,) + buffer.shape[3:])], dim=2)
