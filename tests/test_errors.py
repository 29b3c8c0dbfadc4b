"""The exception hierarchy: one base class, messages that say what and where."""

import pytest

from jitwasm import DecodeError, LinkError, Trap, ValidationError, WasiExit, WasmError


@pytest.mark.parametrize("cls", [DecodeError, ValidationError, LinkError, Trap, WasiExit])
def test_all_errors_are_wasm_errors(cls):
    assert issubclass(cls, WasmError)


def test_decode_error_names_offset():
    e = DecodeError("unexpected end", 0x1F)
    assert e.reason == "unexpected end" and e.offset == 0x1F
    assert "0x1f" in str(e)


def test_validation_error_names_function_and_offset():
    e = ValidationError("type mismatch", func_index=3, offset=0x40)
    assert "function 3" in str(e) and "0x40" in str(e) and "type mismatch" in str(e)


def test_trap_and_exit_carry_their_payload():
    assert Trap("integer divide by zero").message == "integer divide by zero"
    assert WasiExit(3).code == 3


def test_validate_entry_point_survives_repeated_calls():
    """`jitwasm.validate` stays the function after the validator package is imported."""
    import jitwasm

    empty = b"\0asm\x01\0\0\0"
    for _ in range(3):
        assert jitwasm.validate(empty) is None
    with pytest.raises(DecodeError):
        jitwasm.validate(b"\0asm\x02\0\0\0")
