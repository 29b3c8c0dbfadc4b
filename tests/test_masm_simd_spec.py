"""The spec testsuite's SIMD assertions run directly through the SIMD emitters.

Every `assert_return` of the simd_*.wast scripts that invokes a function whose body is just
`local.get 0 .. local.get n-1; <one SIMD instruction with its immediates>` becomes a record for
that instruction's emitter (native harness of test_masm_simd_harness.py, REX-high registers);
the result must satisfy the script's expectation, lane by lane (nan:canonical / nan:arithmetic
included). Memory instructions are left to the compiler's tests (their functions take an
address, not the operand).
"""

import pytest

from test_masm_simd_harness import (MEMORY_SHAPES, REC, RESULT, VARIANTS, Case, WIDTH, record,
                                    run_native, scalar_bytes, signature)
from jitwasm.backend_x64 import masm_simd as ms
from jitwasm.binary import opcodes as op
from jitwasm.binary.types import I32, V128

_IMM_BYTES = {op.IMM_NONE: 0, op.IMM_LANE: 1, op.IMM_SHUFFLE: 16, op.IMM_V128: 16}


def _single_instruction_exports(wasm: bytes) -> dict:
    """export name -> Case for functions that apply one register SIMD instruction to their
    parameters in order."""
    from jitwasm.binary.decoder import decode_module
    info = decode_module(wasm)
    out = {}
    for export in info.exports:
        index = export.index - info.num_imported_funcs
        if export.kind != 0 or index < 0:
            continue
        body, ftype = info.codes[index], info.func_types[export.index]
        data, pos = info.data, body.code_start
        if body.locals:
            continue
        if data[pos:pos + 2 * len(ftype.params)] != b"".join(
                bytes((0x20, i)) for i in range(len(ftype.params))):
            continue
        pos += 2 * len(ftype.params)
        try:
            opcode, pos = op.read_opcode(data, pos)
        except Exception:
            continue
        if opcode not in ms.SIMD_OPS or ms.SIMD_OPS[opcode][1] in MEMORY_SHAPES:
            continue
        n = _IMM_BYTES.get(op.IMM_BY_OPCODE[opcode])
        if n is None or pos + n + 1 != body.end or data[pos + n] != 0x0B:
            continue
        kind = op.IMM_BY_OPCODE[opcode]
        imm = None if kind == op.IMM_NONE else data[pos] if kind == op.IMM_LANE else \
            bytes(data[pos:pos + n])
        out[export.name] = Case(opcode, imm)
    return out


@pytest.fixture(scope="module")
def spec_assertions():
    """{Case: [(args, expected)]} for every assertion on a single SIMD instruction."""
    from jitwasm.wast.conversion import convert_all, find_wasm_tools
    from jitwasm.wast.paths import core_wast_files, spec_testsuite_dir
    if find_wasm_tools() is None or not spec_testsuite_dir().is_dir():
        pytest.skip("spec testsuite or wasm-tools not available")
    files = [p for p in core_wast_files() if p.name.startswith("simd_")]
    found = {}
    for path, converted in sorted(convert_all(files).items()):
        assert not isinstance(converted, Exception), converted
        exports = {}
        for cmd in converted.commands:
            if cmd["type"] == "module":
                exports = _single_instruction_exports(converted.read_module(cmd["filename"]))
            elif cmd["type"] == "assert_return" and cmd["action"]["type"] == "invoke":
                case = exports.get(cmd["action"]["field"])
                if case is not None and "module" not in cmd["action"]:
                    found.setdefault(case, []).append((cmd["action"]["args"],
                                                       cmd["expected"][0]))
    return found


def _slot(value: dict, t: int) -> bytes:
    from jitwasm.wast.values import arg_bits
    bits = arg_bits(value, None)
    return bits.to_bytes(16, "little") if t == V128 else scalar_bytes(t, bits)


def test_spec_simd_assertions_pass_through_the_emitters(spec_assertions):
    from jitwasm.wast.values import result_matches
    covered = {case.opcode for case in spec_assertions}
    register_ops = {o for o, (_, shape) in ms.SIMD_OPS.items() if shape not in MEMORY_SHAPES}
    missing = sorted(op.NAMES[o] for o in register_ops - covered)
    assert len(covered) >= len(register_ops) - 5, missing
    total, failures = 0, []
    r = VARIANTS["high"]
    for case, assertions in spec_assertions.items():
        params, result = signature(case.opcode)
        data = b"".join(record(*(_slot(v, t) for v, t in zip(args, params)))
                        for args, _ in assertions)
        out = run_native(case, r, data)
        for i, (args, expected) in enumerate(assertions):
            raw = out[i * REC + RESULT:i * REC + RESULT + (8 if result == I32 else WIDTH[result])]
            bits = int.from_bytes(raw, "little")
            if not result_matches(expected, bits, None) or (result == I32 and bits >> 32):
                failures.append(f"{case.name} {case.imm!r} {args}: got {raw.hex(' ')}, "
                                f"want {expected}")
        total += len(assertions)
    assert not failures, f"{len(failures)} of {total}:\n" + "\n".join(failures[:10])
    assert total > 10000, total
