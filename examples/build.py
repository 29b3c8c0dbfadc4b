"""Build WASI C programs to wasm32-wasi with zig's bundled clang and wasi-libc.

    python examples/build.py                 # every examples/*.c -> examples/*.wasm
    python examples/build.py FILE.c ...      # just these (output beside each source)

Needs `pip install ziglang` (no system toolchain; zig 0.17.1 built the committed binaries, and
rebuilding gives the same bytes). The binaries are committed, so running jitwasm or its tests
never needs this; rebuild after editing a source. tests/wasi_programs/
build.py uses `build` from here for the test programs.
"""

import subprocess
import sys
from pathlib import Path

FLAGS = ["--target=wasm32-wasi", "-O2", "-s", "-Wall", "-Werror"]


def build(source: Path) -> Path:
    """Compile one C file to the .wasm beside it; raise CalledProcessError on a compile error."""
    output = source.with_suffix(".wasm")
    subprocess.run([sys.executable, "-m", "ziglang", "cc", *FLAGS, str(source), "-o",
                    str(output)], check=True)
    return output


def main(argv: list, default_dir: Path) -> int:
    sources = [Path(a) for a in argv] or sorted(default_dir.glob("*.c"))
    for source in sources:
        output = build(source)
        print(f"{source} -> {output} ({output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], Path(__file__).resolve().parent))
