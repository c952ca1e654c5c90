"""Benchmark: a first run of a suite against a rerun served entirely from the result cache.

Runs ``pytest <suites>`` twice in fresh processes with a private cache folder and prints the wall
time of each, the share of cached answers in the rerun, whether the rerun loaded the model, and a
last line ``rerun_speedup=X.X``. The first run clears the result cache but keeps the dequantised
model copy (pass ``--cold`` to start from an empty cache folder, dequantisation included).

    python benchmarks/bench_cached_rerun.py                      # suites/safety, default model
    python benchmarks/bench_cached_rerun.py suites/helpfulness --max-new-tokens 64
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_pytest(args: list[str], env: dict[str, str]) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: some cases failed, which is normal on a small model
        sys.exit(f"pytest exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, json.loads((ROOT / "reports" / "latest.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="*", default=["suites/safety"])
    parser.add_argument("--model", default=None, help="--urial-model (default: the embedded model)")
    parser.add_argument("--max-new-tokens", type=int, default=None)
    parser.add_argument("--cache-dir", default=None, help="cache folder to use (default: a temporary one)")
    parser.add_argument("--cold", action="store_true", help="start from an empty cache folder (dequantisation included)")
    args = parser.parse_args()

    cache_dir = Path(args.cache_dir) if args.cache_dir else Path(tempfile.mkdtemp(prefix="urial-bench-"))
    env = dict(os.environ, URIAL_CHECK_CACHE_DIR=str(cache_dir))
    common = [*args.suites, "-q", "-p", "no:cacheprovider"]
    if args.model:
        common += ["--urial-model", args.model]
    if args.max_new_tokens:
        common += ["--urial-max-new-tokens", str(args.max_new_tokens)]

    if not args.cold:  # build the dequantised model copy outside the timed runs
        run_pytest([*common, "-k", "not gate", "--urial-max-new-tokens", "1", "--urial-cache", "off",
                    "--maxfail", "1"], env)
    first_s, first = run_pytest([*common, "--urial-cache-clear"], env)
    rerun_s, rerun = run_pytest(common, env)

    cases = len(rerun["cases"])
    cached = sum(c["cached"] for c in rerun["cases"])
    print(f"suites: {' '.join(args.suites)}; model: {first['model']['id']}; {cases} cases")
    print(f"first run:  {first_s:7.2f} s  (model load {first['model']['load_seconds'] or 0:.2f} s)")
    print(f"cached rerun: {rerun_s:5.2f} s  ({cached}/{cases} answers from the cache; "
          f"model {'loaded' if rerun['model']['load_seconds'] else 'never loaded'})")
    print(f"rerun_speedup={first_s / rerun_s:.1f}")


if __name__ == "__main__":
    main()
