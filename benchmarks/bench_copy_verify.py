"""Benchmark: what verifying the dequantised fast-start copy by its SHA-256 costs on every load.

Loads the default model from its dequantised copy (building the copy first if the cache has
none) a few times and prints the median time of the whole warm start, of the hash check alone
(every file of the copy, read from the page cache) and the hashing throughput.

    python benchmarks/bench_copy_verify.py                 # the user cache folder
    python benchmarks/bench_copy_verify.py --cache-dir DIR --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


def main() -> None:
    from urial_check.generation.backends.fast_start import copy_folder, load_gguf_fast, validate_copy
    from urial_check.generation.backends.loading import fingerprint, resolve_model
    from urial_check.generation.cache import default_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    cache_dir = args.cache_dir or default_cache_dir()
    source = resolve_model(None)
    fp = fingerprint(source)
    folder = copy_folder(cache_dir, fp)
    if not folder.is_dir():
        print(f"building the copy in {folder} (dequantising, about 20 s)")
        load_gguf_fast(source, fp, "cpu", torch.float32, cache_dir)
    size = sum(p.stat().st_size for p in folder.iterdir())
    hashes, loads = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        validate_copy(folder, fp)
        hashes.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        load_gguf_fast(source, fp, "cpu", torch.float32, cache_dir)
        loads.append(time.perf_counter() - t0)
    hash_s, load_s = statistics.median(hashes), statistics.median(loads)
    print(f"copy: {size / 1e6:.0f} MB in {folder}")
    print(f"verify (SHA-256 of every file): {hash_s:.2f} s ({size / 1e9 / hash_s:.2f} GB/s)")
    print(f"warm start including the verification: {load_s:.2f} s (verification {100 * hash_s / load_s:.0f}%)")


if __name__ == "__main__":
    main()
