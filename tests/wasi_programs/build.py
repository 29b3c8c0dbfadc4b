"""Build the WASI test programs (tests/wasi_programs/*.c -> *.wasm).

    python tests/wasi_programs/build.py [FILE.c ...]

The compiler invocation lives in examples/build.py (one place for the flags); this script only
points it at this directory. The .wasm files are committed; rebuild after editing a source.
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("examples_build",
                                               HERE.parents[1] / "examples" / "build.py")
examples_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(examples_build)

if __name__ == "__main__":
    sys.exit(examples_build.main(sys.argv[1:], HERE))
