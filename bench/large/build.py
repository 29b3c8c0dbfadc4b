"""Build bench/large/*.c into WASI modules (zig cc, wasm32-wasi, -O2, stripped): large modules
for bench/compile_speed.py, which the WASI testsuite (27 KB of code at most) does not have.

    python bench/large/build.py
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLAGS = ["--target=wasm32-wasi", "-O2", "-s", "-D_WASI_EMULATED_SIGNAL",
         "-lwasi-emulated-signal"]


def main() -> int:
    for source in sorted(HERE.glob("*.c")):
        out = source.with_suffix(".wasm")
        subprocess.run([sys.executable, "-m", "ziglang", "cc", *FLAGS, str(source), "-o",
                        str(out)], check=True)
        print(f"{out.name}: {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
