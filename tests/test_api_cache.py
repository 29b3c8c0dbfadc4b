"""Config.cache: Modules go through jitwasm's code cache (the one `jitwasm run` uses), set by
True or by a wasmtime cache configuration file; Config.parallel_compilation reaches the
compiler."""

import json
from pathlib import Path

import pytest

import jitwasm
from jitwasm import Config, Engine, Instance, Module, Store, WasmtimeError

ROOT = Path(__file__).resolve().parent.parent
KERNEL = (ROOT / "bench" / "kernels" / "sha256.wasm").read_bytes()
EXPECTED = json.loads((ROOT / "bench" / "kernels" / "expected.json").read_text())["sha256"]


def cached_engine(setting, **settings) -> Engine:
    config = Config()
    config.cache = setting
    for name, value in settings.items():
        setattr(config, name, value)
    return Engine(config)


def checksums(engine: Engine, module: Module) -> dict:
    store = Store(engine)
    run = Instance(store, module, []).exports(store)["run"]
    return {n: run(store, int(n)) for n in EXPECTED}


def entries(directory: Path) -> list:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_cache_true_stores_then_loads_from_the_default_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path / "cache"))
    engine = cached_engine(True)
    first = Module(engine, KERNEL)
    assert first._module.facts is not None  # validated and compiled
    assert len(entries(tmp_path / "cache")) == 1
    again = Module(cached_engine(True), KERNEL)
    assert again._module.facts is None  # loaded: neither validated nor compiled again
    assert checksums(engine, first) == checksums(engine, again) == EXPECTED


def test_settings_that_change_code_get_their_own_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path))
    Module(cached_engine(True), KERNEL)
    Module(cached_engine(True, consume_fuel=True), KERNEL)
    Module(cached_engine(True, lazy_compilation=True), KERNEL)  # same code as eager: a hit
    assert len(entries(tmp_path)) == 2


def test_no_cache_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path))
    Module(Engine(), KERNEL)
    assert entries(tmp_path) == []


def test_cache_configuration_file_names_the_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path / "not-this-one"))
    pytest.importorskip("tomllib")
    config_file = tmp_path / "cache.toml"
    config_file.write_text(f'[cache]\ndirectory = "{tmp_path / "chosen"}"\n'
                           'cleanup-interval = "30m"\n')
    engine = cached_engine(str(config_file))
    assert checksums(engine, Module(engine, KERNEL)) == EXPECTED
    assert len(entries(tmp_path / "chosen")) == 1
    assert entries(tmp_path / "not-this-one") == []
    config_file.write_text("[cache]\nenabled = false\n")
    Module(cached_engine(str(config_file)), KERNEL)
    assert len(entries(tmp_path / "chosen")) == 1


def test_bad_cache_configuration_files_are_refused_when_set(tmp_path):
    pytest.importorskip("tomllib")
    config = Config()
    with pytest.raises(WasmtimeError, match="failed to read"):
        config.cache = str(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[cache\n")
    with pytest.raises(WasmtimeError, match="failed to parse"):
        config.cache = str(tmp_path / "bad.toml")
    (tmp_path / "empty.toml").write_text("")
    with pytest.raises(WasmtimeError, match=r"no \[cache\] table"):
        config.cache = str(tmp_path / "empty.toml")
    with pytest.raises(WasmtimeError, match="explicitly disabled"):
        config.cache = False
    with pytest.raises(TypeError):
        config.cache = 3


def test_a_corrupt_entry_is_a_warning_and_a_recompile(tmp_path, monkeypatch):
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path))
    engine = cached_engine(True)
    Module(engine, KERNEL)
    (entry,) = tmp_path.iterdir()
    blob = bytearray(entry.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    entry.write_bytes(bytes(blob))
    with pytest.warns(RuntimeWarning, match="ignoring code cache entry"):
        module = Module(engine, KERNEL)
    assert module._module.facts is not None
    assert checksums(engine, module) == EXPECTED


def test_invalid_modules_fail_the_same_with_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path))
    with pytest.raises(jitwasm.DecodeError):
        Module(cached_engine(True), b"\0asm\x01\0\0\0\x01")
    assert entries(tmp_path) == []
