"""Run every benchmark script in bench/ (except screenshots.py and this file) one after the
other and print what each prints, then one table of every `TARGET | name | met or not yet |
figure` line they printed. Exit status 1 when any of them failed.

    .venv/bin/python bench/run_all.py        (or: make bench)
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run_all.py", "screenshots.py", "__init__.py"}


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in SKIP and not p.name.startswith("_"))
    if not scripts:
        print("No benchmark scripts in bench/.")
        return 0
    failed = []
    targets: list[tuple[str, str, str, str]] = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        for line in result.stdout.splitlines():  # "TARGET | name | met or not yet | figure"
            if line.startswith("TARGET |"):
                _, name, state, figure = (part.strip() for part in line.split("|", 3))
                targets.append((script.name, name, state, figure))
        if result.returncode != 0:
            sys.stdout.write(result.stderr)
            failed.append(script.name)
        print(f"--- {script.name}: exit {result.returncode}, {time.perf_counter() - started:.1f} s\n", flush=True)
    if targets:
        width = max(len(name) for _, name, _, _ in targets)
        print(f"{'target':<{width}}  {'state':<7}  figure")
        for _script, name, state, figure in targets:
            print(f"{name:<{width}}  {state:<7}  {figure}")
        print()
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"All {len(scripts)} benchmark scripts ran.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
