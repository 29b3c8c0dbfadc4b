"""Where the shared test material and the conversion cache live.

The testsuites are never copied into the repository: they are read from an environment variable
or from `shared/` beside the repository root (resolved from this file, not the cwd, so CI can
clone the repo anywhere as long as `shared/` sits next to it).
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

TESTSUITE_HINT = (
    "clone https://github.com/WebAssembly/testsuite and set JITWASM_TESTSUITE to its path "
    "(or place it at ../shared/wasm-testsuite beside the repository)"
)
WASI_TESTSUITE_HINT = (
    "get the prebuilt WASI testsuite (github.com/WebAssembly/wasi-testsuite) and set "
    "JITWASM_WASI_TESTSUITE to its path (or place it at ../shared/wasi-testsuite)"
)


def _shared_dir(env_var: str, name: str) -> Path:
    configured = os.environ.get(env_var)
    if configured:
        return Path(configured).expanduser()
    return PROJECT_ROOT.parent / "shared" / name


def spec_testsuite_dir() -> Path:
    """The spec testsuite: `$JITWASM_TESTSUITE` or `../shared/wasm-testsuite`."""
    return _shared_dir("JITWASM_TESTSUITE", "wasm-testsuite")


def wasi_testsuite_dir() -> Path:
    """The WASI testsuite: `$JITWASM_WASI_TESTSUITE` or `../shared/wasi-testsuite`."""
    return _shared_dir("JITWASM_WASI_TESTSUITE", "wasi-testsuite")


def core_wast_files(root: Path | None = None) -> list:
    """The core spec files: `*.wast` at the top of the testsuite (not `proposals/`), sorted."""
    root = spec_testsuite_dir() if root is None else root
    return sorted(root.glob("*.wast"))


def cache_dir() -> Path:
    """Root of jitwasm's caches, outside the repo: `$JITWASM_CACHE_DIR` or `~/.cache/jitwasm`."""
    configured = os.environ.get("JITWASM_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "jitwasm"
