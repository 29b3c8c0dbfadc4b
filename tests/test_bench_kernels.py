"""The benchmark kernels (bench/kernels) and their harness (bench/run_kernels.py).

The committed .wasm files must be the freestanding modules the harness expects, their expected
checksums must hold under wasmtime, and several checksums are re-derived here from independent
Python implementations (hashlib, zlib, math.factorial), so expected.json is known-good.
"""

import hashlib
import json
import math
import sys
import zlib
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH_DIR))
import run_kernels  # noqa: E402

wasmtime = pytest.importorskip("wasmtime")

KERNELS = sorted(run_kernels.KERNELS)
EXPECTED = run_kernels.expected_checksums()


@pytest.fixture(scope="module", params=["cranelift", "winch"])
def wasmtime_engine(request):
    return run_kernels.wasmtime_adapter(request.param)


# -- what is committed ----------------------------------------------------------------------------

def test_every_kernel_has_source_wasm_and_expected_checksums():
    kernel_dir = run_kernels.KERNEL_DIR
    assert (kernel_dir / "build.py").is_file()
    assert sorted(p.stem for p in kernel_dir.glob("*.c")) == KERNELS
    for name, sizes in run_kernels.KERNELS.items():
        assert (kernel_dir / f"{name}.wasm").is_file(), name
        assert set(EXPECTED[name]) == {str(sizes.small), str(sizes.bench)}, name
    assert sorted(EXPECTED) == KERNELS


@pytest.mark.parametrize("name", KERNELS)
def test_wasm_is_a_valid_freestanding_module(name):
    """No imports at all (no WASI needed), exactly `run: i32 -> i32` and `memory` exported."""
    wasm = run_kernels.kernel_wasm(name)
    wasmtime.Module.validate(wasmtime.Engine(), wasm)
    module = wasmtime.Module(wasmtime.Engine(), wasm)
    assert module.imports == []
    exports = {e.name: e.type for e in module.exports}
    assert set(exports) == {"run", "memory"}
    assert [str(t) for t in exports["run"].params] == ["i32"]
    assert [str(t) for t in exports["run"].results] == ["i32"]
    assert isinstance(exports["memory"], wasmtime.MemoryType)
    assert run_kernels.code_section_size(wasm) > 0


@pytest.mark.parametrize("name", KERNELS)
def test_jitwasm_validator_accepts_kernel(name):
    from jitwasm.binary import decode_module
    from jitwasm.validation import validate_module

    validate_module(decode_module(run_kernels.kernel_wasm(name)))


# -- checksums ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", KERNELS)
def test_small_run_matches_expected_checksum(wasmtime_engine, name):
    n = run_kernels.KERNELS[name].small
    assert run_kernels.run_once(wasmtime_engine, name, n) == EXPECTED[name][str(n)]


def xorshift_bytes(length: int, seed: int) -> bytes:
    """bench/kernels/common.h fill_random: xorshift32 words, little-endian."""
    out = bytearray()
    state = seed
    while len(out) < length:
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        out += state.to_bytes(4, "little")
    return bytes(out[:length])


def mix32(hash_: int, value: int) -> int:
    """bench/kernels/common.h mix32: FNV-1a over the four bytes of a word."""
    for byte in value.to_bytes(4, "little"):
        hash_ = ((hash_ ^ byte) * 0x01000193) & 0xFFFFFFFF
    return hash_


def run_cranelift(name: str, n: int) -> int:
    return run_kernels.run_once(run_kernels.wasmtime_adapter("cranelift"), name, n)


@pytest.mark.parametrize("kib", [1, 3])
def test_sha256_agrees_with_hashlib(kib):
    digest = hashlib.sha256(xorshift_bytes(kib * 1024, 0x5EED5EED)).digest()
    want = run_kernels.as_i32(int.from_bytes(digest[:4], "big"))
    assert run_cranelift("sha256", kib) == want
    if str(kib) in EXPECTED["sha256"]:
        assert EXPECTED["sha256"][str(kib)] == want


@pytest.mark.parametrize("kib", [1, 300])
def test_crc32_agrees_with_zlib(kib):
    """300 KiB wraps around the kernel's 256 KiB buffer."""
    buffer = xorshift_bytes(256 * 1024, 0xC0FFEE11)
    want = run_kernels.as_i32(zlib.crc32((buffer * 2)[:kib * 1024]))
    assert run_cranelift("crc32", kib) == want
    if str(kib) in EXPECTED["crc32"]:
        assert EXPECTED["crc32"][str(kib)] == want


@pytest.mark.parametrize("n", [30, 200])
def test_bigint_agrees_with_math_factorial(n):
    value = math.factorial(n)
    limbs = [(value >> (32 * i)) & 0xFFFFFFFF for i in range((value.bit_length() + 31) // 32)]
    want = mix32(0x811C9DC5, len(limbs))
    for limb in limbs:
        want = mix32(want, limb)
    assert run_cranelift("bigint", n) == run_kernels.as_i32(want)
    if str(n) in EXPECTED["bigint"]:
        assert EXPECTED["bigint"][str(n)] == run_kernels.as_i32(want)


def test_fib_expected_values_are_fibonacci_numbers():
    a, b = 0, 1
    fibs = []
    for _ in range(40):
        fibs.append(a)
        a, b = b, a + b
    for n, value in EXPECTED["fib"].items():
        assert value == fibs[int(n)], n


# -- the harness ----------------------------------------------------------------------------------

def test_harness_end_to_end_small(tmp_path, capsys):
    """Workers run, checksums verify, the table prints and --json holds the raw samples; jitwasm
    either runs correctly or is reported as not available."""
    out = tmp_path / "bench.json"
    status = run_kernels.main(["--small", "--repeat", "2", "--kernels", "fib",
                               "--engines", "wasmtime-cranelift,wasmtime-winch,jitwasm",
                               "--json", str(out)])
    printed = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert status == 0, printed
    assert "winch/cranelift" in printed and "geomean" in printed and "KB/s" in printed
    engines = data["engines"]
    assert engines["wasmtime-cranelift"]["available"] and engines["wasmtime-winch"]["available"]
    if not engines["jitwasm"]["available"]:
        assert "jitwasm: not available yet" in printed
    ran = {(r["engine"], r["kernel"]) for r in data["records"]}
    assert {("wasmtime-winch", "fib"), ("wasmtime-cranelift", "fib")} <= ran
    for record in data["records"]:
        assert record["ok"], record
        assert len(record["compile_s"]) == 2 and len(record["exec_s"]) == 2
        assert record["results"] == [EXPECTED[record["kernel"]][str(record["n"])]] * 2


def test_jitwasm_adapter_drives_a_wasmtime_compatible_api(monkeypatch):
    """The jitwasm adapter only uses the wasmtime-py surface: with wasmtime's classes standing in
    for jitwasm's, it compiles and runs a kernel."""
    import jitwasm

    for name in ("Config", "Engine", "Store", "Module", "Instance"):
        monkeypatch.setattr(jitwasm, name, getattr(wasmtime, name), raising=False)
    adapter = run_kernels.jitwasm_adapter()
    assert run_kernels.run_once(adapter, "fib", 15) == 610


def test_verify_rejects_a_wrong_checksum():
    record = {"kernel": "fib", "n": 15, "results": [610, 611], "warmup_results": []}
    run_kernels.verify(record, EXPECTED)
    assert not record["ok"] and "611" in record["error"]
    record = {"kernel": "fib", "n": 38, "results": [39088169], "warmup_results": [0]}
    run_kernels.verify(record, EXPECTED)
    assert not record["ok"]


def test_code_section_size_reads_section_10():
    header = b"\0asm\x01\0\0\0"
    types = bytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00])
    funcs = bytes([0x03, 0x02, 0x01, 0x00])
    code = bytes([0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B])
    assert run_kernels.code_section_size(header + types + funcs + code) == 4
    assert run_kernels.code_section_size(header + types) == 0
