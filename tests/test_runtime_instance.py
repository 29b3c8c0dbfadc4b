"""Instantiation against the compiler/runtime contract, with hand-assembled function bodies.

The modules' Wasm bodies are placeholders; `HandCompiled` supplies machine code that does what a
compiled body would (read a global through vmctx.globals, call through vmctx.func_refs or a
table, call a builtin, load from memory 0), so these tests check the vmctx layout the runtime
builds independently of the compiler.
"""

import ctypes

import pytest

from jitwasm.api import wat2wasm
from jitwasm.backend_x64.abi import emit_funcref_call
from jitwasm.backend_x64.assembler import ALU_ADD, SHR, Assembler, Mem
from jitwasm.backend_x64.regs import R11, R14, R15, RAX, RDI, RSP
from jitwasm.binary.types import FuncType, I32, I64
from jitwasm.errors import LinkError, Trap
from jitwasm.runtime.builtins import BUILTIN_INDEX
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.functions import Function
from jitwasm.runtime.instance import Instance, Module
from jitwasm.runtime.store import Store
from jitwasm.runtime.vmctx import (FUNCREF_SIZE, VMCTX_BUILTINS, VMCTX_FUNC_REFS, VMCTX_FUNCS,
                                   VMCTX_GLOBALS, VMCTX_MEMORIES, VMCTX_TABLES, VMCTX_TYPE_IDS,
                                   FuncRef)
from jitwasm.wast.conversion import WASM_TOOLS_HINT, find_wasm_tools

pytestmark = pytest.mark.skipif(find_wasm_tools() is None, reason=WASM_TOOLS_HINT)


# ---- hand-assembled bodies --------------------------------------------------------------------

def body(build) -> bytes:
    a = Assembler()
    build(a)
    return a.finish()


def const_i32(value):
    return body(lambda a: (a.mov_ri(32, RAX, value), a.ret()))


def global_get(index, size=32):
    def build(a):
        a.mov_rm(64, R11, Mem(R14, None, 1, VMCTX_GLOBALS))
        a.mov_rm(64, R11, Mem(R11, None, 1, 8 * index))
        a.mov_rm(size, RAX, Mem(R11, None, 1, 0))
        a.ret()
    return body(build)


def memory_size():
    def build(a):
        a.mov_rm(64, R11, Mem(R14, None, 1, VMCTX_MEMORIES))
        a.mov_rm(64, R11, Mem(R11, None, 1, 0))
        a.mov_rm(64, RAX, Mem(R11, None, 1, 8))
        a.shift_ri(SHR, 64, RAX, 16)
        a.ret()
    return body(build)


def load_i32():
    """(param i32) (result i32): i32.load at the address in rdi (guard pages catch OOB)."""
    return body(lambda a: (a.mov_rm(32, RAX, Mem(R15, RDI, 1, 0)), a.ret()))


def _call_through(a, load_ref) -> None:
    """Save r14 in a frame slot, compute a FuncRef address into rax, call it, return."""
    a.push_r(R14)  # entered at rsp = 8 mod 16: now aligned for the call
    load_ref(a)
    emit_funcref_call(a, RAX, Mem(RSP, None, 1, 0))
    a.pop_r(R11)
    a.ret()


def call_funcref_slot(field, index):
    """Forward the register arguments to FuncRef `index` of the array at vmctx.`field`."""
    def load(a):
        a.mov_rm(64, RAX, Mem(R14, None, 1, field))
        a.alu_ri(ALU_ADD, 64, RAX, FUNCREF_SIZE * index)
    return body(lambda a: _call_through(a, load))


def call_import(index):
    return call_funcref_slot(VMCTX_FUNC_REFS, index)


def call_builtin(name):
    return call_funcref_slot(VMCTX_BUILTINS, BUILTIN_INDEX[name])


def call_table_element(table_index, element):
    """Call the funcref stored at table[table_index][element] (no arguments forwarded)."""
    def load(a):
        a.mov_rm(64, R11, Mem(R14, None, 1, VMCTX_TABLES))
        a.mov_rm(64, R11, Mem(R11, None, 1, 8 * table_index))
        a.mov_rm(64, RAX, Mem(R11, None, 1, 0))
        a.mov_rm(64, RAX, Mem(RAX, None, 1, 8 * element))
    return body(lambda a: _call_through(a, load))


def call_defined(index):
    """Direct call through vmctx.funcs (r14/r15 unchanged), as the compiler emits it."""
    def build(a):
        a.push_r(R14)
        a.mov_rm(64, R11, Mem(R14, None, 1, VMCTX_FUNCS))
        a.call_m(Mem(R11, None, 1, 8 * index))
        a.pop_r(R11)
        a.ret()
    return body(build)


class HandCompiled:
    """Stands in for the compiler's CompiledModule: one code blob, an address per function."""

    def __init__(self, bodies):
        offsets, blob = [], b""
        for code in bodies:
            offsets.append(len(blob))
            blob += code + b"\xcc" * (-len(code) % 16)
        self.code = CodeMemory(blob or b"\xcc")
        self.func_offsets = offsets

    def func_address(self, i: int) -> int:
        return self.code.address + self.func_offsets[i]


def hand_module(wat: str, *bodies) -> Module:
    return Module(wat2wasm(wat), compile=lambda info: HandCompiled(bodies))


def host(params, results, fn):
    return Function.from_host(FuncType(tuple(params), tuple(results)), fn)


# ---- tests ------------------------------------------------------------------------------------

def test_defined_function_runs_with_its_vmctx_and_reads_globals():
    m = hand_module("""(module
        (global $a i32 (i32.const 7)) (global $b (mut i64) (i64.const -2))
        (func (export "seven") (result i32) unreachable)
        (func (export "b") (result i64) unreachable)
        (func (export "five") (result i32) unreachable))""",
        global_get(0), global_get(1, 64), const_i32(5))
    inst = Instance(Store(), m)
    assert inst.exports["seven"].call() == 7
    assert inst.exports["b"].call() == -2
    assert inst.exports["five"].call_bits() == [5]
    inst.globals[1].bits = 99
    assert inst.exports["b"].call() == 99


def test_imported_global_cell_is_shared_and_initialises_defined_globals():
    exporter = Instance(Store(), hand_module(
        '(module (global (export "g") (mut i32) (i32.const 41)))'))
    g = exporter.exports["g"]
    m = hand_module("""(module (import "m" "g" (global $g (mut i32)))
        (func (export "get") (result i32) unreachable))""", global_get(0))
    inst = Instance(Store(), m, [g])
    assert inst.exports["get"].call() == 41
    g.bits = 5
    assert inst.exports["get"].call() == 5
    # A defined global initialised from an imported immutable one.
    const = Instance(Store(), hand_module('(module (global (export "c") i32 (i32.const 3)))'))
    m2 = hand_module("""(module (import "m" "c" (global $c i32))
        (global (export "d") i32 (global.get $c)))""")
    assert Instance(Store(), m2, [const.exports["c"]]).exports["d"].bits == 3


def test_imported_host_function_is_called_through_func_refs():
    calls = []
    add = host((I32, I64), (I64,), lambda a, b: calls.append((a, b)) or a + b)
    m = hand_module("""(module (import "h" "add" (func (param i32 i64) (result i64)))
        (func (export "fwd") (param i32 i64) (result i64) unreachable))""", call_import(0))
    inst = Instance(Store(), m, [add])
    assert inst.exports["fwd"].call(-3, 10) == 7
    assert calls == [(-3, 10)]
    record = FuncRef.from_address(inst.func_refs_address)
    assert (record.code, record.type_id) == (add.record.code, add.record.type_id)


def test_function_imported_from_another_instance_runs_in_its_own_vmctx():
    provider = Instance(Store(), hand_module("""(module (global i32 (i32.const 1234))
        (func (export "get") (result i32) unreachable))""", global_get(0)))
    m = hand_module("""(module (import "p" "get" (func (result i32)))
        (global i32 (i32.const 1))
        (func (export "via") (result i32) unreachable))""", call_import(0))
    inst = Instance(Store(), m, [provider.exports["get"]])
    assert inst.exports["via"].call() == 1234  # the provider's global, not ours
    assert inst.function(0) is provider.exports["get"]


def test_direct_calls_use_vmctx_funcs():
    m = hand_module("""(module (func (result i32) unreachable)
        (func (export "outer") (result i32) unreachable))""", const_i32(77), call_defined(0))
    assert Instance(Store(), m).exports["outer"].call() == 77


def test_canonical_type_ids_agree_between_instances_and_host_functions():
    wat = """(module (type (func (param i32) (result i32))) (type (func))
        (type (func (param i32) (result i32))))"""
    a = Instance(Store(), hand_module(wat))
    b = Instance(Store(),
                 hand_module("(module (type (func)) (type (func (param i32) (result i32))))"))
    ids_a = (ctypes.c_uint64 * 3).from_address(a.vmctx.type_ids)
    ids_b = (ctypes.c_uint64 * 2).from_address(b.vmctx.type_ids)
    assert ids_a[0] == ids_a[2] == ids_b[1] != ids_a[1] == ids_b[0]
    f = host((I32,), (I32,), lambda x: x)
    assert f.record.type_id == ids_a[0]
    assert a.vmctx.type_ids == ctypes.addressof(a._type_ids) and VMCTX_TYPE_IDS == 32


def test_active_elements_fill_the_table_and_calls_through_it_work():
    m = hand_module("""(module (table 3 funcref)
        (func $a (result i32) unreachable) (func $b (result i32) unreachable)
        (elem (i32.const 1) func $b $a)
        (func (export "t1") (result i32) unreachable)
        (func (export "t2") (result i32) unreachable))""",
        const_i32(10), const_i32(20), call_table_element(0, 1), call_table_element(0, 2))
    store = Store()
    inst = Instance(store, m)
    assert inst.exports["t1"].call() == 20 and inst.exports["t2"].call() == 10
    table = inst.tables[0]
    assert table.get(0) == 0
    assert store.function_at(table.get(1)) is inst.function(1)


def test_memory_size_and_the_memory_grow_builtin_share_the_desc():
    m = hand_module("""(module (memory (export "mem") 1 4)
        (func (export "size") (result i32) unreachable)
        (func (export "grow") (param i32 i32) (result i32) unreachable))""",
        memory_size(), call_builtin("memory_grow"))
    inst = Instance(Store(), m)
    size, grow = inst.exports["size"].call, inst.exports["grow"].call
    assert size() == 1
    assert grow(0, 2) == 1 and size() == 3
    assert inst.vmctx.memory_length == 3 * 65536
    assert grow(0, 2) == -1 and size() == 3
    assert grow(0, -1) == -1  # 0xFFFFFFFF pages: fails, memory unchanged
    # An importer sees the growth through the shared desc.
    other = Instance(Store(), hand_module("""(module (import "m" "mem" (memory 1))
        (func (export "size") (result i32) unreachable))""", memory_size()),
        [inst.exports["mem"]])
    assert other.exports["size"].call() == 3
    assert grow(0, 1) == 3 and other.exports["size"].call() == 4
    assert other.vmctx.memory_base == inst.vmctx.memory_base


def test_builtin_trap_unwinds_the_wasm_caller():
    m = hand_module("""(module (memory 1) (data "abc")
        (func (export "init") (param i32 i32 i32 i32 i32) unreachable))""",
        call_builtin("memory_init"))
    inst = Instance(Store(), m)
    init = inst.exports["init"].call
    init(0, 0, 100, 1, 2)
    assert inst.memories[0].read(100, 2) == b"bc"
    with pytest.raises(Trap, match="out of bounds memory access"):
        init(0, 0, 0, 2, 2)
    with pytest.raises(Trap, match="out of bounds memory access"):
        init(0, 0, 65535, 0, 2)


def test_out_of_bounds_load_traps_through_the_guard_region():
    m = hand_module("""(module (memory 1) (data (i32.const 8) "\\2a")
        (func (export "load") (param i32) (result i32) unreachable))""", load_i32())
    load = Instance(Store(), m).exports["load"].call
    assert load(8) == 42
    with pytest.raises(Trap, match="out of bounds memory access"):
        load(65536)
    with pytest.raises(Trap, match="out of bounds memory access"):
        load(-1)


def test_start_function_runs_after_the_data_segments():
    seen = []
    memory = Instance(Store(), hand_module('(module (memory (export "m") 1))')).exports["m"]
    m = hand_module("""(module (import "h" "start" (func $s)) (import "h" "m" (memory 1))
        (data (i32.const 0) "ok") (start $s))""")
    Instance(Store(), m, [host((), (), lambda: seen.append(memory.read(0, 2))), memory])
    assert seen == [b"ok"]


def test_segment_trap_keeps_earlier_writes_and_the_failed_instance_alive():
    store = Store()
    shared = Instance(store, hand_module(
        '(module (table (export "t") 3 funcref) (memory (export "m") 1))'))
    table, memory = shared.exports["t"], shared.exports["m"]
    m = hand_module("""(module (import "s" "t" (table 3 funcref)) (import "s" "m" (memory 1))
        (func $f (result i32) unreachable)
        (elem (i32.const 0) $f)
        (elem (i32.const 2) $f $f)
        (data (i32.const 0) "never"))""", const_i32(66))
    with pytest.raises(Trap, match="out of bounds table access"):
        Instance(store, m, [table, memory])
    assert table.get(0) != 0 and table.get(1) == table.get(2) == 0
    assert memory.read(0, 5) == b"\0" * 5  # data segments come after all element segments
    caller = Instance(store, hand_module("""(module (import "s" "t" (table 3 funcref))
        (func (export "call0") (result i32) unreachable))""", call_table_element(0, 0)), [table])
    assert caller.exports["call0"].call() == 66
    assert store.function_at(table.get(0)).call() == 66

    m_data = hand_module("""(module (import "s" "m" (memory 1))
        (data (i32.const 0) "ab") (data (i32.const 65535) "cd"))""")
    with pytest.raises(Trap, match="out of bounds memory access"):
        Instance(store, m_data, [memory])
    assert memory.read(0, 2) == b"ab"


def test_import_mismatches_raise_link_errors():
    store = Store()
    f = host((I32,), (), lambda x: None)
    m = hand_module('(module (import "h" "f" (func (param i64))))')
    with pytest.raises(LinkError, match="^incompatible import type"):
        Instance(store, m, [f])
    with pytest.raises(LinkError, match="^unknown import"):
        Instance(store, m, [])


# A memory without a guard region runs explicit-bounds code: tests/test_memory_fallback.py.

