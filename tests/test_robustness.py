"""Damaged modules are rejected cleanly: decoding + validating a truncated or byte-flipped copy
of a valid spec module either succeeds or raises DecodeError/ValidationError, never anything
else (IndexError, struct.error, RecursionError, MemoryError...).

The inputs are the binary `module` commands of every core spec script (one test per script);
the mutations come from an RNG seeded per module, so a failure reproduces exactly.
"""

import random
import traceback

import pytest

from jitwasm.binary import decode_module
from jitwasm.errors import DecodeError, ValidationError
from jitwasm.validation import validate_module
from jitwasm.wast import ConversionError, convert_all, find_wasm_tools
from jitwasm.wast.conversion import WASM_TOOLS_HINT
from jitwasm.wast.paths import TESTSUITE_HINT, core_wast_files, spec_testsuite_dir

TRUNCATIONS = 16    # random cut points per module (plus the cut one byte short of the end)
FLIPS = 48          # mutated copies per module, each with 1-3 changed bytes
MAX_REPORTED = 10

# Bytes that hit decoder corners: LEB continuation bits, the largest counts, section/type ids.
INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x40, 0x60, 0x70, 0x6F, 0x0B, 0x41, 0xFC, 0xFD)


def _script_params():
    scripts = core_wast_files()
    if not scripts:
        reason = f"spec testsuite not found at {spec_testsuite_dir()}: {TESTSUITE_HINT}"
        return [pytest.param(None, id="testsuite-missing", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(path, id=path.stem) for path in scripts]


@pytest.fixture(scope="module")
def converted():
    if find_wasm_tools() is None:
        pytest.skip(WASM_TOOLS_HINT)
    return convert_all(core_wast_files())


def valid_modules(converted) -> list:
    """(line, bytes) of every binary `module` command of a converted script."""
    return [(cmd["line"], converted.read_module(cmd["filename"]))
            for cmd in converted.commands
            if cmd["type"] == "module" and cmd.get("module_type") == "binary"]


def mutations(wasm: bytes, rng: random.Random):
    """(description, damaged bytes) pairs."""
    n = len(wasm)
    for cut in sorted({n - 1, *(rng.randrange(n) for _ in range(TRUNCATIONS))}):
        yield f"truncated to {cut} bytes", wasm[:cut]
    for _ in range(FLIPS):
        damaged = bytearray(wasm)
        changes = []
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(8, n) if n > 8 else rng.randrange(n)
            value = rng.choice(INTERESTING) if rng.random() < 0.5 else rng.randrange(256)
            changes.append(f"[{pos}]={value:#04x}")
            damaged[pos] = value
        yield "set " + " ".join(changes), bytes(damaged)


@pytest.mark.parametrize("script", _script_params())
def test_damaged_modules_are_rejected_cleanly(script, converted):
    if isinstance(converted[script], ConversionError):
        pytest.fail(str(converted[script]))
    failures = []
    checked = 0
    for line, wasm in valid_modules(converted[script]):
        rng = random.Random(f"{script.name}:{line}")
        for what, damaged in mutations(wasm, rng):
            checked += 1
            try:
                validate_module(decode_module(damaged))
            except (DecodeError, ValidationError):
                pass
            except Exception as e:  # noqa: BLE001 - any other exception is the bug we look for
                failures.append(f"{script.name}:{line} {what}: {type(e).__name__}: {e}\n"
                                + "".join(traceback.format_exception(e)[-3:]))
    assert not failures, (f"{len(failures)} of {checked} damaged modules raised an unexpected "
                          "exception:\n" + "\n".join(failures[:MAX_REPORTED]))
