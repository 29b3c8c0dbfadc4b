"""The code cache: hit, miss, key changes (version, options), corruption and truncation,
Module.serialize/deserialize and `jitwasm compile`."""

import subprocess
import sys

import pytest

from jitwasm.cache import CodeCache, cache_key, decode_entry, encode_entry, key
from jitwasm.cache.modules import cached_module, deserialize_module, serialize_module
from jitwasm.compiler.options import CompileOptions
from jitwasm.runtime.instance import Instance, Module
from jitwasm.runtime.store import Store
from jitwasm.wast import find_wasm_tools

pytestmark = pytest.mark.skipif(find_wasm_tools() is None, reason="needs wasm-tools")

TEXT = """(module (memory 1)
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"""


@pytest.fixture(scope="module")
def wasm():
    from jitwasm.api import wat2wasm

    return bytes(wat2wasm(TEXT))


def check_runs(module):
    inst = Instance(Store(), module)
    assert inst.exports["fac"].call(10) == 3628800
    from jitwasm.errors import Trap

    with pytest.raises(Trap, match="out of bounds memory access") as e:
        inst.exports["load"].call(65535)
    return e.value


def test_code_is_position_independent_so_it_can_be_cached(wasm):
    one, two = Module(wasm).compiled, Module(wasm).compiled
    assert one.code.address != two.code.address and one.code.read() == two.code.read()


def test_miss_then_hit_gives_the_same_code_and_trap_metadata(wasm, tmp_path):
    cache = CodeCache(tmp_path)
    first, hit = cached_module(wasm, cache)
    assert not hit and len(list(tmp_path.iterdir())) == 1
    second, hit = cached_module(wasm, cache)
    assert hit and second.facts is None  # not validated nor compiled again
    assert second.compiled.code.read() == first.compiled.code.read()
    assert second.compiled.code.trap_sites == first.compiled.code.trap_sites
    assert str(check_runs(second)) == str(check_runs(first))  # message and backtrace


def test_key_covers_version_options_and_module(wasm, monkeypatch):
    base = cache_key(wasm, CompileOptions())
    assert cache_key(wasm, CompileOptions(lazy=True)) == base  # lazy code is not different
    assert cache_key(wasm, CompileOptions(fuel=True)) != base
    assert cache_key(wasm + b"\0", CompileOptions()) != base
    monkeypatch.setattr(key, "COMPILER_VERSION", key.COMPILER_VERSION + 1)
    assert cache_key(wasm, CompileOptions()) != base
    import jitwasm

    monkeypatch.setattr(jitwasm, "__version__", "999")
    assert cache_key(wasm, CompileOptions()) != base


def test_version_change_is_a_miss(wasm, tmp_path, monkeypatch):
    cache = CodeCache(tmp_path)
    cached_module(wasm, cache)
    monkeypatch.setattr(key, "COMPILER_VERSION", key.COMPILER_VERSION + 1)
    assert not cached_module(wasm, cache)[1]
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("damage", ["flip_code", "flip_digest", "truncate", "append", "key"])
def test_corrupt_entries_are_ignored_with_a_warning(wasm, tmp_path, damage):
    cache = CodeCache(tmp_path)
    cached_module(wasm, cache)
    path, = tmp_path.iterdir()
    blob = bytearray(path.read_bytes())
    if damage == "flip_code":
        blob[-40] ^= 0xFF  # inside the code, right before the digest
    elif damage == "flip_digest":
        blob[-1] ^= 1
    elif damage == "truncate":
        del blob[len(blob) // 2:]
    elif damage == "append":
        blob += b"\x90"
    else:  # a valid entry for another module under this module's name
        path.write_bytes(encode_entry("0" * 64, wasm, Module(wasm).compiled))
    if damage != "key":
        path.write_bytes(bytes(blob))
    with pytest.warns(RuntimeWarning, match="ignoring code cache entry"):
        module, hit = cached_module(wasm, cache)
    assert not hit
    check_runs(module)
    assert cached_module(wasm, cache)[1]  # the miss rewrote a good entry


def test_serialize_roundtrip_including_lazy_modules(wasm):
    from jitwasm.compiler.lazy import compile_lazy

    lazy = Module(wasm, compile=lambda info: compile_lazy(info))
    blob = serialize_module(lazy, wasm)
    decoded = decode_entry(blob)
    assert decoded[0] == wasm
    check_runs(deserialize_module(blob))


def test_api_serialize_and_options_mismatch(wasm, tmp_path):
    from jitwasm.api import Config, Engine
    from jitwasm.api import Module as ApiModule
    from jitwasm.errors import WasmtimeError

    engine = Engine()
    blob = ApiModule(engine, wasm).serialize()
    module = ApiModule.deserialize(engine, blob)
    assert [e.name for e in module.exports] == ["fac", "load"]
    (tmp_path / "m.jwc").write_bytes(blob)
    assert ApiModule.deserialize_file(engine, str(tmp_path / "m.jwc")).exports
    config = Config()
    config.consume_fuel = True
    with pytest.raises(WasmtimeError, match="compile options"):
        ApiModule.deserialize(Engine(config), blob)
    with pytest.raises(WasmtimeError, match="checksum"):
        ApiModule.deserialize(engine, blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(WasmtimeError, match="truncated"):
        ApiModule.deserialize(engine, b"")


def test_cli_compile_writes_a_deserializable_module(wasm, tmp_path):
    src = tmp_path / "m.wasm"
    src.write_bytes(wasm)
    out = tmp_path / "m.jwc"
    subprocess.run([sys.executable, "-c", "from jitwasm.cli import main; main()", "compile",
                    str(src), "-o", str(out)], check=True, timeout=120)
    check_runs(deserialize_module(out.read_bytes()))


def test_run_uses_the_cache_unless_told_not_to(tmp_path):
    import os

    program = "/work/main/examples/hello.wasm"
    if not os.path.exists(program):
        pytest.skip("no example program")
    env = dict(os.environ, JITWASM_CACHE_DIR=str(tmp_path / "c"))
    cmd = [sys.executable, "-m", "jitwasm", "run"]
    no_cache = subprocess.run(cmd + ["--no-cache", program], env=env, capture_output=True,
                              timeout=120)
    assert not (tmp_path / "c").exists()
    cold = subprocess.run(cmd + [program], env=env, capture_output=True, timeout=120)
    warm = subprocess.run(cmd + [program], env=env, capture_output=True, timeout=120)
    assert len(list((tmp_path / "c").iterdir())) == 1
    assert no_cache.stdout == cold.stdout == warm.stdout and warm.returncode == 0
