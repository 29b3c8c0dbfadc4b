"""The official wasi-testsuite (C and AssemblyScript, wasm32-wasip1) through `jitwasm run`.

Follows the suite's specification.md: each NAME.wasm has an optional NAME.json, either legacy
({args, env, root, exit_code, stdout, stderr}) or operation-based ({proposals, operations}:
run, wait, read); the program runs with exactly `env` as its environment, `root` preopened as
"/" and `args` after the module path, and must end with `exit_code` and print `stdout`.
`root` is copied to a temporary directory first (the programs write into it, and the copy
stands in for the suite's *.cleanup step). Tests that need the network proposals are skipped.

tests/test_wasi_testsuite.py runs the same programs in-process on wasmtime's engine with our
WasiCtx; this file runs them end to end on jitwasm's compiler and runtime.
"""

import json
import shutil
from pathlib import Path

import pytest

from jitwasm.wast.paths import wasi_testsuite_dir

from run_cli_support import run_jitwasm


SUITE = wasi_testsuite_dir()   # $JITWASM_WASI_TESTSUITE or ../shared/wasi-testsuite
PROGRAMS = sorted(SUITE.glob("*/wasm32-wasip1/*.wasm"))
SUPPORTED_OPERATIONS = {"run", "wait", "read"}


def load_spec(wasm: Path) -> dict:
    """{args, env, root, exit_code, stdout, stderr (None: unchecked), unsupported} for `wasm`,
    from its JSON in either format (or the defaults)."""
    spec = {"args": [], "env": {}, "root": None, "exit_code": 0, "stdout": "", "stderr": None,
            "unsupported": None}
    path = wasm.with_suffix(".json")
    raw = json.loads(path.read_text()) if path.exists() else {}
    if "operations" not in raw:
        spec.update({k: v for k, v in raw.items() if k in spec})
        return spec
    if raw.get("proposals"):
        spec["unsupported"] = f"needs proposals {raw['proposals']}"
    for op in raw["operations"]:
        kind = op.get("type")
        if kind not in SUPPORTED_OPERATIONS:
            spec["unsupported"] = f"operation {kind!r}"
        elif kind == "run":
            spec.update({k: op[k] for k in ("args", "env", "root") if k in op})
        elif kind == "wait":
            spec["exit_code"] = op.get("exit_code", 0)
        else:
            stream = op.get("id", "stdout")
            spec[stream] = (spec[stream] or "") + op.get("payload", "")
    return spec


@pytest.mark.skipif(not PROGRAMS, reason=f"wasi-testsuite not found at {SUITE} "
                                         "(set JITWASM_WASI_TESTSUITE)")
@pytest.mark.parametrize("wasm", PROGRAMS, ids=lambda p: f"{p.parents[1].name}/{p.stem}")
def test_wasi_testsuite_program_with_jitwasm_run(wasm, tmp_path):
    spec = load_spec(wasm)
    if spec["unsupported"]:
        pytest.skip(spec["unsupported"])
    options = []
    for name, value in spec["env"].items():
        options += ["--env", f"{name}={value}"]
    if spec["root"]:
        root = tmp_path / "root"
        shutil.copytree(wasm.parent / spec["root"], root)
        for path in [root, *root.rglob("*")]:      # the suite may be read-only; programs write
            path.chmod(path.stat().st_mode | 0o200)
        options += ["--dir", f"{root}::/"]
    proc = run_jitwasm("run", *options, wasm, *spec["args"])
    details = f"status={proc.returncode} stdout={proc.stdout!r} stderr={proc.stderr!r}"
    assert proc.returncode == spec["exit_code"], details
    assert proc.stdout.decode() == spec["stdout"], details
    if spec["stderr"] is not None:
        assert proc.stderr.decode() == spec["stderr"], details


def test_load_spec_reads_both_formats(tmp_path):
    legacy = tmp_path / "legacy.wasm"
    legacy.with_suffix(".json").write_text('{"args": ["a"], "exit_code": 3}')
    assert load_spec(legacy) == {"args": ["a"], "env": {}, "root": None, "exit_code": 3,
                                      "stdout": "", "stderr": None, "unsupported": None}
    ops = tmp_path / "ops.wasm"
    ops.with_suffix(".json").write_text(json.dumps({"operations": [
        {"type": "run", "args": ["x"], "env": {"K": "V"}, "root": "d"},
        {"type": "read", "payload": "out"}, {"type": "read", "id": "stderr", "payload": "e"},
        {"type": "wait", "exit_code": 1}]}))
    assert load_spec(ops) == {"args": ["x"], "env": {"K": "V"}, "root": "d", "exit_code": 1,
                              "stdout": "out", "stderr": "e", "unsupported": None}
    net = tmp_path / "net.wasm"
    net.with_suffix(".json").write_text(json.dumps({"proposals": ["sockets"], "operations": [
        {"type": "run"}, {"type": "connect"}, {"type": "wait"}]}))
    assert load_spec(net)["unsupported"]
    assert load_spec(tmp_path / "none.wasm")["exit_code"] == 0
