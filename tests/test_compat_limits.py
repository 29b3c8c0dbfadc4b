"""Compatibility suite: Store.set_limits (same bodies on wasmtime-py and jitwasm)."""

import pytest

from test_compat_engines import api, engine, instantiate, store  # noqa: F401 (fixtures)

GROW = """(module (memory (export "mem") 1) (table (export "tab") 1 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "tgrow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))"""

MEMORY_AND_TABLE = "(module (memory 1) (table 1 funcref))"


def test_memory_size_limit_fails_growth_from_wasm_and_host(api, store):
    store.set_limits(memory_size=3 * 65536)
    e = instantiate(api, store, GROW)
    assert [e["grow"](store, 1) for _ in range(3)] == [1, 2, -1]
    assert e["mem"].size(store) == 3
    with pytest.raises(api.WasmtimeError, match="failed to grow memory by `1`"):
        e["mem"].grow(store, 1)
    assert e["grow"](store, 0) == 3


def test_table_elements_limit_fails_growth_from_wasm_and_host(api, store):
    store.set_limits(table_elements=5)
    e = instantiate(api, store, GROW)
    assert e["tgrow"](store, 4) == 1
    assert e["tgrow"](store, 1) == -1
    assert e["tab"].size(store) == 5
    with pytest.raises(api.WasmtimeError, match="failed to grow table by `1`"):
        e["tab"].grow(store, 1, None)


def test_a_limit_below_a_page_rounds_down(api, store):
    store.set_limits(memory_size=65536 + 100)
    assert instantiate(api, store, GROW)["grow"](store, 1) == -1


def test_limits_set_later_govern_existing_memories(api, store):
    e = instantiate(api, store, GROW)
    store.set_limits(memory_size=65536, table_elements=1)
    assert e["grow"](store, 1) == -1
    assert e["tgrow"](store, 1) == -1


@pytest.mark.parametrize("limits, wat, message", [
    ({"memory_size": 65536}, "(module (memory 2))",
     "memory minimum size of 2 pages exceeds memory limits"),
    ({"table_elements": 1}, "(module (table 2 funcref))",
     "table minimum size of 2 elements exceeds table limits"),
])
def test_instantiating_beyond_a_size_limit_fails(api, store, limits, wat, message):
    store.set_limits(**limits)
    with pytest.raises(api.WasmtimeError, match=message):
        instantiate(api, store, wat)


def test_host_memories_and_tables_respect_size_limits(api, store):
    store.set_limits(memory_size=65536, table_elements=2)
    with pytest.raises(api.WasmtimeError, match="memory minimum size of 2 pages"):
        api.Memory(store, api.MemoryType(api.Limits(2, None)))
    with pytest.raises(api.WasmtimeError, match="table minimum size of 3 elements"):
        api.Table(store, api.TableType(api.ValType.funcref(), api.Limits(3, None)), None)
    memory = api.Memory(store, api.MemoryType(api.Limits(1, None)))
    with pytest.raises(api.WasmtimeError, match="failed to grow memory"):
        memory.grow(store, 1)


@pytest.mark.parametrize("limits, message", [
    ({"instances": 1}, "instance count too high at 2"),
    ({"memories": 1}, "memory count too high at 2"),
    ({"tables": 1}, "table count too high at 2"),
])
def test_count_limits_stop_the_next_instance(api, store, limits, message):
    store.set_limits(**limits)
    module = api.Module(store.engine, MEMORY_AND_TABLE)
    api.Instance(store, module, [])
    with pytest.raises(api.WasmtimeError, match=f"resource limit exceeded: {message}"):
        api.Instance(store, module, [])


def test_counts_survive_new_limits_and_host_objects_do_not_count(api, store):
    store.set_limits(memories=1)
    api.Memory(store, api.MemoryType(api.Limits(1, None)))
    module = api.Module(store.engine, MEMORY_AND_TABLE)
    api.Instance(store, module, [])
    store.set_limits(memories=1, instances=5)
    with pytest.raises(api.WasmtimeError, match="memory count too high at 2"):
        api.Instance(store, module, [])


def test_an_instance_whose_start_traps_still_counts(api, store):
    store.set_limits(memories=1)
    trapping = api.Module(store.engine,
                          "(module (memory 1) (func $f unreachable) (start $f))")
    with pytest.raises(api.Trap):
        api.Instance(store, trapping, [])
    with pytest.raises(api.WasmtimeError, match="memory count too high at 2"):
        api.Instance(store, api.Module(store.engine, MEMORY_AND_TABLE), [])


def test_negative_limits_mean_no_limit(api, store):
    store.set_limits(memory_size=-5, table_elements=-1)
    e = instantiate(api, store, GROW)
    assert e["grow"](store, 10) == 1
    assert e["tgrow"](store, 100) == 1


def test_default_memories_of_a_linker_are_the_stores(api, store):
    store.set_limits(memory_size=2 * 65536)
    module = api.Module(store.engine, """(module (import "a" "m" (memory 1))
      (func (export "g") (result i32) (memory.grow (i32.const 5))))""")
    linker = api.Linker(store.engine)
    linker.define_unknown_imports_as_default_values(store, module)
    assert linker.instantiate(store, module).exports(store)["g"](store) == -1
    too_big = api.Module(store.engine, '(module (import "a" "n" (memory 3)))')
    with pytest.raises(api.WasmtimeError, match="memory minimum size of 3 pages exceeds"):
        api.Linker(store.engine).define_unknown_imports_as_default_values(store, too_big)
