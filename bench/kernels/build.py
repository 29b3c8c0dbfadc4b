"""Build the benchmark kernels (C -> freestanding wasm32) and maintain their expected checksums.

    python bench/kernels/build.py                  # build every *.c here into *.wasm
    python bench/kernels/build.py --expected       # ...and recompute expected.json (Cranelift)
    python bench/kernels/build.py --native-check   # compare expected.json with a gcc -O2 build

The compiler is `python -m ziglang cc` (pip install ziglang; the version used is recorded in
bench/README.md).  Modules are freestanding: no libc, no imports, only `run` and `memory` are
exported, so any embedder can call them without WASI.  The target feature set is pinned to MVP +
sign-ext, non-trapping float-to-int, mutable globals and bulk-memory-opt (memory.copy/fill):
a subset of Wasm 2.0, independent of the default CPU of whichever zig release is installed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(KERNEL_DIR.parent))
import run_kernels  # noqa: E402  (sizes, adapters and paths live in the harness)

WASM_FLAGS = [
    "--target=wasm32-wasi", "-O2",
    "-mcpu=mvp", "-msign-ext", "-mnontrapping-fptoint", "-mmutable-globals", "-mbulk-memory-opt",
    "-nostdlib", "-Wl,--no-entry", "-Wl,--export=run", "-Wl,--strip-all",
    "-Wl,-z,stack-size=65536",
]
NATIVE_FLAGS = ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror"]
NATIVE_MAIN = """#include <stdio.h>
#include <stdlib.h>
int run(int n);
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("%d\\n", run(atoi(argv[i])));
    return 0;
}
"""


def sources() -> list[Path]:
    return sorted(KERNEL_DIR.glob("*.c"))


def build_wasm(source: Path) -> Path:
    out = source.with_suffix(".wasm")
    cmd = [sys.executable, "-m", "ziglang", "cc", *WASM_FLAGS, "-Wall", "-Wextra", "-Werror",
           str(source), "-o", str(out)]
    subprocess.run(cmd, check=True)
    return out


def compute_expected() -> dict:
    """Checksums at the small and bench sizes, computed with wasmtime Cranelift."""
    adapter = run_kernels.wasmtime_adapter("cranelift")
    expected = {}
    for name, sizes in run_kernels.KERNELS.items():
        expected[name] = {str(n): run_kernels.run_once(adapter, name, n)
                          for n in sorted(set(sizes))}
        print(f"{name}: {expected[name]}", flush=True)
    return expected


def native_check(expected: dict) -> list[str]:
    """Build each kernel natively with gcc and compare every recorded checksum."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        main_c = Path(tmp) / "main.c"
        main_c.write_text(NATIVE_MAIN)
        for source in sources():
            name = source.stem
            exe = Path(tmp) / name
            subprocess.run(["gcc", *NATIVE_FLAGS, str(source), str(main_c), "-lm", "-o", str(exe)],
                           check=True)
            sizes = list(expected.get(name, {}))
            out = subprocess.run([str(exe), *sizes], check=True, capture_output=True,
                                 text=True).stdout.split()
            for n, got in zip(sizes, out):
                status = "ok" if int(got) == expected[name][n] else "MISMATCH"
                if status != "ok":
                    problems.append(f"{name}({n}): native {got}, wasm {expected[name][n]}")
                print(f"native {name}({n}) = {got}: {status}", flush=True)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--expected", action="store_true",
                        help="recompute expected.json with wasmtime Cranelift")
    parser.add_argument("--native-check", action="store_true",
                        help="cross-check expected.json against a gcc -O2 build")
    parser.add_argument("--no-build", action="store_true", help="skip compiling the .wasm files")
    args = parser.parse_args()
    if not args.no_build:
        for source in sources():
            out = build_wasm(source)
            print(f"built {out.name}: {out.stat().st_size} bytes", flush=True)
    if args.expected:
        run_kernels.EXPECTED_PATH.write_text(json.dumps(compute_expected(), indent=1) + "\n")
    if args.native_check:
        problems = native_check(run_kernels.expected_checksums())
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
