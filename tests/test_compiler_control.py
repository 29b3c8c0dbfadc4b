"""Structured control flow in the baseline compiler: blocks, loops, if/else, br, br_if,
br_table, return, unreachable code, multi-value labels, and the call-stack limit."""

import pytest

from compiler_harness import run, trap_message


def test_loop_sums_and_nested_loops():
    e = run("""(module
      (func (export "sum") (param i32) (result i32) (local i32)
        (block (loop
          (br_if 1 (i32.eqz (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (local.get 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br 0)))
        (local.get 1))
      (func (export "grid") (param i32 i32) (result i32) (local i32 i32 i32)
        (loop $outer
          (local.set 3 (i32.const 0))
          (loop $inner
            (local.set 4 (i32.add (local.get 4) (i32.mul (local.get 2) (local.get 3))))
            (br_if $inner (i32.lt_u (local.tee 3 (i32.add (local.get 3) (i32.const 1)))
                                    (local.get 1))))
          (br_if $outer (i32.lt_u (local.tee 2 (i32.add (local.get 2) (i32.const 1)))
                                  (local.get 0))))
        (local.get 4)))""")
    assert e.sum(0) == 0
    assert e.sum(100) == 5050
    assert e.grid(7, 9) == sum(i * j for i in range(7) for j in range(9))


def test_loop_with_parameters_carries_values_on_the_back_edge():
    e = run("""(module
      (func (export "fib") (param i32) (result i64)
        (i64.const 0) (i64.const 1)
        (loop $l (param i64 i64) (result i64 i64)
          (if (param i64 i64) (result i64 i64) (local.get 0)
            (then
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              (call $step)  ;; (a, b) -> (b, a + b)
              (br $l))))
        (drop))
      (func $step (param i64 i64) (result i64 i64)
        (local.get 1) (i64.add (local.get 0) (local.get 1))))""")
    fib = [0, 1]
    for _ in range(100):
        fib.append((fib[-1] + fib[-2]) & (2**64 - 1))
    for n in (0, 1, 2, 10, 90):
        assert e.fib(n) & (2**64 - 1) == fib[n]


def test_multi_value_blocks_and_branches_out_of_nested_blocks():
    e = run("""(module
      (func (export "swap") (param i32 i32) (result i32 i32)
        (block (result i32 i32) (local.get 1) (local.get 0)))
      (func (export "pick") (param i32) (result i32 i64 i32)
        (block $out (result i32 i64 i32)
          (block (result i32 i64 i32)
            (i32.const 1) (i64.const 2) (i32.const 3)
            (br_if $out (local.get 0))
            (drop) (drop) (drop)
            (i32.const 4) (i64.const 5) (i32.const 6)))
        )
      (func (export "deep") (param i32) (result i32)
        (i32.const 100)
        (block (result i32) (block (result i32) (block (result i32)
          (i32.const 7) (local.get 0) (br_table 0 1 2 3) )
          (i32.const 10) (i32.add))
          (i32.const 20) (i32.add))
        (i32.add)))""")
    assert e.swap(1, 2) == (2, 1)
    assert e.pick(1) == (1, 2, 3)
    assert e.pick(0) == (4, 5, 6)
    assert e.deep(0) == 100 + 7 + 10 + 20
    assert e.deep(1) == 100 + 7 + 20
    assert e.deep(2) == 100 + 7
    assert e.deep(3) == 7  # the function's label: a return, the 100 below is discarded
    assert e.deep(-1) == 7


def test_if_with_parameters_survives_a_then_branch_reusing_their_slots():
    """The then-branch spills new values into the slots the parameters lived in; the else
    branch (and an absent else) must still see the original parameters."""
    e = run("""(module
      (func (export "f") (param i32 i32 i32) (result i32)
        (local.get 1) (local.get 2)
        (if (param i32 i32) (result i32) (local.get 0)
          (then (drop) (drop) (i32.const 100) (i32.const 1)
                (block (param i32 i32) (result i32) (i32.sub)))
          (else (i32.sub))))
      (func (export "g") (param i32 i32 i32) (result i32 i32)
        (local.get 1) (local.get 2)
        (if (param i32 i32) (result i32 i32) (local.get 0)
          (then (drop) (drop) (i32.const 100) (i32.const 1)
                (block (param i32 i32) (result i32 i32)))))
      (func (export "nested") (param i32 i32) (result i32)
        (i32.const 5)
        (if (param i32) (result i32) (local.get 0)
          (then (i32.const 7)
                (if (param i32 i32) (result i32) (local.get 1)
                  (then (drop) (drop) (i32.const 1) (i32.const 1) (block (param i32 i32)
                        (result i32) (i32.add)))
                  (else (i32.mul)))
                (i32.const 1000) (i32.add))
          (else (i32.const 3) (i32.mul)))))""")
    assert e.f(1, 50, 8) == 99
    assert e.f(0, 50, 8) == 42
    assert e.g(1, 50, 8) == (100, 1)
    assert e.g(0, 50, 8) == (50, 8)
    assert e.nested(1, 1) == 1002
    assert e.nested(1, 0) == 1035
    assert e.nested(0, 0) == 15


def test_br_if_keeps_the_fall_through_state():
    """Values below the branch operands stay valid on the fall-through path even when the
    taken path overwrites their slots with the branch values."""
    e = run("""(module
      (func (export "f") (param i32) (result i32)
        (block (result i32)
          (i32.const 1) (i32.const 2)
          (block (param i32 i32) (result i32 i32))  ;; both now in slots 0 and 1
          (i32.const 30) (local.get 0)
          (br_if 1 (i32.add (i32.const 0)))         ;; taken: 30 into slot 0
          (drop) (i32.add)))                        ;; fall-through: 1 + 2 still there
      (func (export "g") (param i32) (result i32)
        (block (result i32)
          (i32.add (local.get 0) (i32.const 1))
          (br_if 0 (local.get 0))
          (i32.const 10) (i32.mul))))""")
    assert e.f(0) == 3
    assert e.f(1) == 30
    assert e.g(0) == 10
    assert e.g(4) == 5


@pytest.mark.parametrize("count", [1, 3, 64, 1000])
def test_br_table_with_many_targets(count):
    """Each target adds its depth; the default (and every out-of-range index) adds 1000."""
    blocks = "".join("(block " for _ in range(count))
    closes = "".join(f") (local.set 1 (i32.add (local.get 1) (i32.const {d}))) (br $done)"
                     for d in range(count))
    targets = " ".join(str(d) for d in range(count))
    e = run(f"""(module (func (export "f") (param i32) (result i32) (local i32)
      (block $done (block $default {blocks}
        (br_table {targets} {count} (local.get 0))
      {closes}) (local.set 1 (i32.const 1000)))
      (local.get 1)))""")
    for i in range(count):
        assert e.f(i) == i
    for i in (count, count + 1, 2**31 - 1, -1, -2**31):
        assert e.f(i) == 1000


def test_br_table_moves_values_and_returns():
    e = run("""(module
      (func (export "f") (param i32) (result i32 i32)
        (block $a (result i32 i32)
          (block $b (result i32 i32)
            (i32.const 1)
            (i32.add (local.get 0) (i32.const 10))
            (br_table $a $b 2 (local.get 0)))
          (i32.const 100) (i32.add))
        )
      (func (export "loop") (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (block (br_table $l 0 (i32.eqz (local.get 0)))))
        (local.get 1)))""")
    assert e.f(0) == (1, 10)
    assert e.f(1) == (1, 111)
    assert e.f(2) == (1, 12)
    assert e.f(7) == (1, 17)
    assert e.loop(5) == 5


def test_unreachable_code_is_skipped_with_its_nesting():
    e = run("""(module
      (func (export "f") (param i32) (result i32)
        (block (result i32)
          (br 0 (i32.const 5))
          (block (loop (if (i32.const 0) (then (unreachable)) (else (nop)))))
          (i32.add (i32.const 1))
          (br_table 0 0 0)
          ))
      (func (export "g") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (return (i32.const 1)) (i32.const 2))
          (else (unreachable))))
      (func (export "h") (result i32)
        (block (result i32) (block (unreachable)) (i32.const 3))))""")
    assert e.f(0) == 5
    assert e.g(1) == 1
    assert trap_message(e.g, 0) == "unreachable"
    assert trap_message(e.h) == "unreachable"


def test_constant_conditions():
    e = run("""(module
      (func (export "f") (result i32)
        (if (result i32) (i32.const 0) (then (i32.const 1)) (else (i32.const 2))))
      (func (export "g") (result i32)
        (block (result i32) (br_if 0 (i32.const 3) (i32.const 7)) (drop) (i32.const 4)))
      (func (export "h") (result i32)
        (block (result i32) (br_if 0 (i32.const 3) (i32.const 0)) (drop) (i32.const 4)))
      (func (export "s") (param i32 i32) (result i32)
        (i32.add (select (local.get 0) (local.get 1) (i32.const 0))
                 (select (local.get 0) (local.get 1) (i32.const 1)))))""")
    assert e.f() == 2
    assert e.g() == 3
    assert e.h() == 4
    assert e.s(10, 20) == 30


def test_deep_recursion_traps_and_the_instance_stays_usable():
    e = run("""(module
      (func $down (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
      (func $forever (export "forever") (call $forever)))""")
    assert trap_message(e.forever) == "call stack exhausted"
    assert e.down(1000) == 1000
    assert trap_message(e.down, 10**7) == "call stack exhausted"
    assert e.down(10) == 10

