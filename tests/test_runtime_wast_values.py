"""Spec-script values as bit patterns: arguments, NaN classes, v128 lanes, references."""

import pytest

from jitwasm.runtime.externref import ExternRefTable
from jitwasm.wast.values import HostRef, arg_bits, result_matches


def v(kind, value, lane_type=None):
    out = {"type": kind, "value": value}
    if lane_type:
        out["lane_type"] = lane_type
    return out


@pytest.mark.parametrize("value, bits", [
    (v("i32", "4294967295"), 0xFFFFFFFF),
    (v("i32", "-1"), 0xFFFFFFFF),
    (v("i64", "18446744073709551615"), (1 << 64) - 1),
    (v("f32", "2143289344"), 0x7FC00000),
    (v("f64", "9221120237041090560"), 0x7FF8000000000000),
    (v("v128", ["1", "2", "3", "4"], "i32"), 1 | 2 << 32 | 3 << 64 | 4 << 96),
    (v("v128", ["-1", "0"], "i64"), (1 << 64) - 1),
    (v("v128", ["255"] + ["0"] * 15, "i8"), 0xFF),
    (v("externref", "null"), 0),
    (v("funcref", "null"), 0),
])
def test_argument_bits(value, bits):
    assert arg_bits(value, lambda n: pytest.fail("no host ref expected")) == bits


def test_host_references_become_handles_and_match_back():
    table = ExternRefTable()
    refs = {n: HostRef(n) for n in (0, 1)}
    handle0 = arg_bits(v("externref", "0"), lambda n: table.intern(refs[n]))
    assert handle0 != 0  # ref.extern 0 is not null
    assert result_matches(v("externref", "0"), handle0, table.lookup)
    assert not result_matches(v("externref", "1"), handle0, table.lookup)
    assert not result_matches(v("externref", "null"), handle0, table.lookup)
    assert result_matches(v("externref", "null"), 0, table.lookup)
    assert result_matches({"type": "funcref"}, 0x1000, table.lookup)  # (ref.func): non-null
    assert not result_matches({"type": "funcref"}, 0, table.lookup)


@pytest.mark.parametrize("kind, text, bits, ok", [
    ("f32", "nan:canonical", 0x7FC00000, True),
    ("f32", "nan:canonical", 0xFFC00000, True),
    ("f32", "nan:canonical", 0x7FC00001, False),
    ("f32", "nan:arithmetic", 0x7FC00001, True),
    ("f32", "nan:arithmetic", 0x7FA00000, False),  # signalling
    ("f32", "nan:arithmetic", 0x7F800000, False),  # infinity
    ("f64", "nan:canonical", 0xFFF8000000000000, True),
    ("f64", "nan:arithmetic", 0x7FF8000000000001, True),
    ("f64", "nan:arithmetic", 0x7FF0000000000001, False),
    ("f32", "2147483648", 0x80000000, True),  # -0.0 exactly
    ("f32", "2147483648", 0, False),
])
def test_float_results_compare_bits_and_nan_classes(kind, text, bits, ok):
    assert result_matches(v(kind, text), bits, None) is ok


def test_v128_results_compare_lane_by_lane_with_nan_classes():
    lanes = 0x7FC00000 | (0x3F800000 << 32) | (0x7FC00001 << 64) | (0xFFC00000 << 96)
    expected = v("v128", ["nan:canonical", "1065353216", "nan:arithmetic", "nan:canonical"], "f32")
    assert result_matches(expected, lanes, None)
    assert not result_matches(expected, lanes ^ (1 << 32), None)
    ints = v("v128", ["-1", "1"], "i64")
    assert result_matches(ints, (1 << 64) - 1 | 1 << 64, None)
