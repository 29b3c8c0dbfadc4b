"""Per-call overhead across the Python/machine-code boundary, jitwasm vs wasmtime-py, one run.

- Python -> machine code: calling an exported trivial function `(i32) -> i32` (identity).
- machine code -> Python: a machine-code loop calling an imported trivial host function
  `(i32) -> i32` (x + 1) n times; time per iteration.

Two jitwasm layers are measured: the low-level one (hand-assembled code called through
trampolines.make_entry_caller / HostFunction, no compiler involved) and the public API
(`jitwasm.Func.__call__` on an export of the compiled module below, and a host `jitwasm.Func`
import), which is what `import jitwasm as wasmtime` code pays. wasmtime-py runs the same module
through its public API. Goal: jitwasm <= 0.5x wasmtime-py's time.

Usage: python bench/call_overhead.py [--calls N] [--repeat R] [--json]
"""

import argparse
import ctypes
import json
import sys
import time

from jitwasm.backend_x64.abi import emit_funcref_call
from jitwasm.backend_x64.assembler import ALU_SUB, Assembler, Mem
from jitwasm.backend_x64.regs import CC_E, CC_NE, R12, R14, RAX, RBX, RDI, RSP
from jitwasm.backend_x64.trampolines import (HostFunction, entry_trampoline, make_entry_caller,
                                             thread_state)
from jitwasm.binary.types import I32
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.vmctx import VMCTX_FUNC_REFS, FuncRef, VMContext

WAT = """(module
  (import "env" "inc" (func $inc (param i32) (result i32)))
  (func (export "identity") (param i32) (result i32) local.get 0)
  (func (export "loop") (param i32) (result i32) (local i32)
    (block $done
      (br_if $done (i32.eqz (local.get 0)))
      (loop $top
        (local.set 1 (call $inc (local.get 1)))
        (br_if $top (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
    local.get 1))
"""


def assemble_identity() -> bytes:
    a = Assembler()
    a.mov_rr(32, RAX, RDI)
    a.ret()
    return a.finish()


def assemble_host_loop() -> bytes:
    """loop(n) -> acc: acc = 0; n times acc = import0(acc)."""
    a = Assembler()
    top, done = a.new_label(), a.new_label()
    for reg in (R14, RBX, R12):  # three pushes: rsp = 0 mod 16 at the calls
        a.push_r(reg)
    a.mov_rr(32, RBX, RDI)
    a.mov_ri(32, R12, 0)
    a.test_rr(32, RBX, RBX)
    a.jcc(CC_E, done)
    a.bind(top)
    a.mov_rr(32, RDI, R12)
    a.mov_rm(64, RAX, Mem(R14, None, 1, VMCTX_FUNC_REFS))
    emit_funcref_call(a, RAX, Mem(RSP, None, 1, 16))
    a.mov_rr(32, R12, RAX)
    a.alu_ri(ALU_SUB, 32, RBX, 1)
    a.jcc(CC_NE, top)
    a.bind(done)
    a.mov_rr(32, RAX, R12)
    for reg in (R12, RBX, R14):
        a.pop_r(reg)
    a.ret()
    return a.finish()


class JitwasmSide:
    def __init__(self):
        self.host = HostFunction((I32,), (I32,), lambda x: x + 1)
        self.refs = (FuncRef * 1)()
        self.refs[0].code = self.host.stub_address
        self.refs[0].vmctx = self.host.vmctx.address
        self.vmctx = VMContext()
        self.vmctx.func_refs = ctypes.addressof(self.refs)
        self.identity_code = CodeMemory(assemble_identity())
        self.loop_code = CodeMemory(assemble_host_loop())
        self.identity = make_entry_caller((I32,), (I32,), self.vmctx.address,
                                          self.identity_code.address)
        self.loop = make_entry_caller((I32,), (I32,), self.vmctx.address, self.loop_code.address)
        # The bare trampoline call, without argument conversion: the floor of what Python pays.
        entry = entry_trampoline((I32,), (I32,)).function
        state = thread_state()
        args = (self.vmctx.address, self.identity_code.address, state.address)
        self.raw = lambda _x: entry(*args)


class ApiSide:
    """The module through the public API of `api` (wasmtime-py, or jitwasm used the same way)."""

    def __init__(self, api):
        engine = api.Engine()
        self.store = api.Store(engine)
        module = api.Module(engine, WAT)
        i32 = api.ValType.i32()
        inc = api.Func(self.store, api.FuncType([i32], [i32]), lambda x: x + 1)
        exports = api.Instance(self.store, module, [inc]).exports(self.store)
        store = self.store
        identity, loop = exports["identity"], exports["loop"]
        self.identity = lambda x: identity(store, x)
        self.loop = lambda n: loop(store, n)


def per_call_ns(fn, calls: int) -> float:
    """ns per call of fn(i) over `calls` Python-level calls."""
    start = time.perf_counter()
    for i in range(calls):
        fn(i)
    return (time.perf_counter() - start) / calls * 1e9


def per_iteration_ns(loop, iterations: int) -> float:
    start = time.perf_counter()
    result = loop(iterations)
    elapsed = time.perf_counter() - start
    assert result == iterations, (result, iterations)
    return elapsed / iterations * 1e9


def measure(calls: int, repeat: int) -> dict:
    import jitwasm
    import wasmtime

    jit = JitwasmSide()
    api = ApiSide(jitwasm)
    wt = ApiSide(wasmtime)
    assert jit.identity(7) == api.identity(7) == wt.identity(7) == 7
    best: dict[str, float] = {}
    wt_calls = max(calls // 10, 1000)  # wasmtime-py is much slower per call
    for _ in range(repeat):  # interleaved so drift hits both sides alike
        cases = {
            "jitwasm py->mc": lambda: per_call_ns(jit.identity, calls),
            "jitwasm py->mc (bare trampoline)": lambda: per_call_ns(jit.raw, calls),
            "jitwasm api py->wasm": lambda: per_call_ns(api.identity, calls),
            "wasmtime py->wasm": lambda: per_call_ns(wt.identity, wt_calls),
            "jitwasm mc->py": lambda: per_iteration_ns(jit.loop, calls),
            "jitwasm api wasm->py": lambda: per_iteration_ns(api.loop, calls),
            "wasmtime wasm->py": lambda: per_iteration_ns(wt.loop, wt_calls),
        }
        for name, run in cases.items():
            value = run()
            best[name] = min(best.get(name, value), value)
    return {
        "ns_per_call": {k: round(v, 1) for k, v in best.items()},
        "ratio_py_to_code": round(best["jitwasm py->mc"] / best["wasmtime py->wasm"], 3),
        "ratio_code_to_py": round(best["jitwasm mc->py"] / best["wasmtime wasm->py"], 3),
        "ratio_api_py_to_code": round(best["jitwasm api py->wasm"] / best["wasmtime py->wasm"], 3),
        "ratio_api_code_to_py": round(best["jitwasm api wasm->py"] / best["wasmtime wasm->py"],
                                      3),
        "goal": "ratio <= 0.5",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.calls, args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for name, ns in result["ns_per_call"].items():
        print(f"{name:36s} {ns:10.1f} ns/call")
    print(f"ratio Python -> code   jitwasm/wasmtime = {result['ratio_py_to_code']:.3f}  (goal <= 0.5)")
    print(f"ratio code -> Python   jitwasm/wasmtime = {result['ratio_code_to_py']:.3f}  (goal <= 0.5)")
    print(f"public API: ratio Python -> code = {result['ratio_api_py_to_code']:.3f}, "
          f"code -> Python = {result['ratio_api_code_to_py']:.3f}  (goal <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
