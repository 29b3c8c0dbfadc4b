"""Lazy compilation: bodies compiled at their first call, through thunks that stay valid.

Checks that nothing is compiled up front, that the resolver keeps register and stack arguments
intact, that thunk copies in other instances (imports) work before and after compilation, and
that lazy and eager give the same results on the differential programs (the spec suite runs
in both modes in spec-tests/).
"""

import pytest

from jitwasm.compiler.lazy import LazyCompiledModule
from jitwasm.compiler.options import CompileOptions
from jitwasm.runtime.instance import Instance, Module, compile_functions
from jitwasm.runtime.store import Store
from jitwasm.wast import find_wasm_tools

pytestmark = pytest.mark.skipif(find_wasm_tools() is None, reason="needs wasm-tools")

LAZY = CompileOptions(lazy=True)


def wat(text: str) -> bytes:
    from jitwasm.api import wat2wasm

    return bytes(wat2wasm(text))


def lazy_module(text: str) -> Module:
    return Module(wat(text), compile=lambda info: compile_functions(info, LAZY))


# 8 i64 and 10 f64 parameters: 2 i64 and 2 f64 arrive on the stack.
MANY_ARGS = """(module
  (func $sum (export "sum") (param i64 i64 i64 i64 i64 i64 i64 i64
                                   f64 f64 f64 f64 f64 f64 f64 f64 f64 f64) (result f64)
    (local $i i32) (local $acc f64)
    (local.set $acc (f64.convert_i64_s (i64.add (i64.add (i64.add (local.get 0) (local.get 1))
      (i64.add (local.get 2) (local.get 3))) (i64.add (i64.add (local.get 4) (local.get 5))
      (i64.mul (local.get 6) (local.get 7))))))
    (f64.add (local.get $acc) (f64.add (f64.add (f64.add (local.get 8) (local.get 9))
      (f64.add (local.get 10) (local.get 11))) (f64.add (f64.add (local.get 12) (local.get 13))
      (f64.add (f64.add (local.get 14) (local.get 15)) (f64.mul (local.get 16) (local.get 17)))))))
  (func (export "call_sum") (result f64)
    (call $sum (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
               (i64.const 6) (i64.const 7) (i64.const 8)
               (f64.const 0.5) (f64.const 1) (f64.const 2) (f64.const 3) (f64.const 4)
               (f64.const 5) (f64.const 6) (f64.const 7) (f64.const 8) (f64.const 1.5)))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))
"""
EXPECTED_SUM = 1 + 2 + 3 + 4 + 5 + 6 + 7 * 8 + 0.5 + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 * 1.5


def test_nothing_is_compiled_until_called_and_arguments_survive_the_resolver():
    module = lazy_module(MANY_ARGS)
    assert isinstance(module.compiled, LazyCompiledModule)
    assert module.compiled.compiled_count == 0
    inst = Instance(Store(), module)
    assert inst.exports["call_sum"].call(*()) == EXPECTED_SUM  # $sum resolved from Wasm
    assert module.compiled.compiled_count == 2
    assert inst.exports["fac"].call(20) == 2432902008176640000  # recursion through funcs[]
    assert module.compiled.compiled_count == 3


def test_first_call_from_python_with_stack_arguments():
    inst = Instance(Store(), lazy_module(MANY_ARGS))
    args = list(range(1, 9)) + [0.5, 1, 2, 3, 4, 5, 6, 7, 8, 1.5]
    assert inst.exports["sum"].call(*args) == EXPECTED_SUM


def test_code_is_shared_by_instances_and_thunk_copies_in_importers_work():
    provider = lazy_module(MANY_ARGS)
    user = lazy_module("""(module (import "m" "fac" (func $fac (param i64) (result i64)))
      (func (export "f") (param i64) (result i64) (call $fac (local.get 0))))""")
    store = Store()
    a = Instance(store, provider)
    b = Instance(store, provider)
    c = Instance(store, user, [a.exports["fac"]])
    assert c.exports["f"].call(5) == 120  # through the thunk copied before compilation
    assert provider.compiled.compiled_count == 1
    assert b.exports["fac"].call(6) == 720  # b's first call finds the code compiled
    assert provider.compiled.compiled_count == 1
    assert c.exports["f"].call(3) == 6


def test_lazy_traps_have_backtraces_like_eager():
    from jitwasm.errors import Trap

    text = """(module (func $inner (unreachable)) (func (export "outer") (call $inner)))"""
    for module in (lazy_module(text), Module(wat(text), compile=lambda info: compile_functions(
            info, CompileOptions()))):
        with pytest.raises(Trap, match="unreachable"):
            Instance(Store(), module).exports["outer"].call()


# The whole spec suite runs lazily too: spec-tests/test_spec.py's `lazy` mode.


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_differential_programs_agree_lazily(seed, monkeypatch):
    differential = pytest.importorskip("test_compiler_differential")
    monkeypatch.setenv("JITWASM_COMPILE", "lazy")
    differential.test_random_module_agrees_with_wasmtime(seed)
