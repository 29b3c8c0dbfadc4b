"""The official wasi-testsuite programs (C and AssemblyScript, wasm32-wasip1) against our WASI.

Until jitwasm's own runtime can run them, wasmtime's engine executes the Wasm and every
`wasi_snapshot_preview1` import is bound to our WasiCtx (tests/test_wasi_support.run_with_ctx),
so these check our WASI end to end with real wasi-libc and AssemblyScript programs. Each test's
JSON gives args, env, the directory preopened as "/", the exit code and stdout; the directory
is copied first (the programs write into it).
"""

import io
import json
import shutil
from pathlib import Path

import pytest

from jitwasm.wasi import WasiConfig, WasiCtx
from jitwasm.wast.paths import wasi_testsuite_dir
from test_wasi_support import run_with_ctx

pytest.importorskip("wasmtime")


SUITE = wasi_testsuite_dir()   # $JITWASM_WASI_TESTSUITE or ../shared/wasi-testsuite
PROGRAMS = sorted(SUITE.glob("*/wasm32-wasip1/*.wasm"))


def _spec(wasm: Path) -> dict:
    spec = {"args": [], "env": {}, "root": None, "exit_code": 0, "stdout": ""}
    path = wasm.with_suffix(".json")
    if path.exists():
        spec.update(json.loads(path.read_text()))
    return spec


@pytest.mark.skipif(not PROGRAMS, reason=f"wasi-testsuite not found at {SUITE} "
                                         "(set JITWASM_WASI_TESTSUITE)")
@pytest.mark.parametrize("wasm", PROGRAMS, ids=lambda p: f"{p.parents[1].name}/{p.stem}")
def test_wasi_testsuite_program(wasm, tmp_path):
    spec = _spec(wasm)
    preopens = []
    if spec["root"]:
        root = tmp_path / "root"
        shutil.copytree(wasm.parent / spec["root"], root)
        for path in [root, *root.rglob("*")]:      # shared/ is read-only; the programs write
            path.chmod(path.stat().st_mode | 0o200)
        preopens.append((str(root), "/"))
    stdout, stderr = io.BytesIO(), io.BytesIO()
    config = WasiConfig(argv=[wasm.name] + spec["args"], env=spec["env"], preopens=preopens,
                        stdout=stdout, stderr=stderr)
    with WasiCtx(config) as ctx:
        code = run_with_ctx(wasm.read_bytes(), ctx)
    details = f"stdout={stdout.getvalue()!r} stderr={stderr.getvalue()!r}"
    assert code == spec["exit_code"], details
    assert stdout.getvalue().decode() == spec["stdout"], details
