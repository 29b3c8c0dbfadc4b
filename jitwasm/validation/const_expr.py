"""Constant expressions (global initialisers, segment offsets, element items).

Wasm 2.0 allows exactly the `*.const`, `ref.null`, `ref.func` and `global.get` (of an
immutable global) instructions; the expression must leave exactly one value of the expected
type.
"""

from ..binary import opcodes as op
from ..binary.module import ConstExpr
from ..binary.types import FUNCREF, I32, I64, F32, F64, V128
from ..errors import ValidationError

_CONST_TYPES = {op.I32_CONST: I32, op.I64_CONST: I64, op.F32_CONST: F32, op.F64_CONST: F64,
                op.V128_CONST: V128}


def const_expr_type(expr: ConstExpr, globals_: list, num_funcs: int) -> list:
    """Type the instructions of `expr`; return the resulting stack of valtypes.

    `globals_` is the list of GlobalType visible to the expression (for a global initialiser
    only the imported ones).
    """
    stack = []
    for opcode, imm, offset in expr.instrs:
        t = _CONST_TYPES.get(opcode)
        if t is None:
            if opcode == op.REF_NULL:
                t = imm
            elif opcode == op.REF_FUNC:
                if imm >= num_funcs:
                    raise ValidationError("unknown function", None, offset)
                t = FUNCREF
            elif opcode == op.GLOBAL_GET:
                if imm >= len(globals_):
                    raise ValidationError("unknown global", None, offset)
                g = globals_[imm]
                if g.mutable:
                    raise ValidationError("constant expression required", None, offset)
                t = g.valtype
            else:
                raise ValidationError("constant expression required", None, offset)
        stack.append(t)
    return stack


def check_const_expr(expr: ConstExpr, expected: int, globals_: list, num_funcs: int) -> None:
    if const_expr_type(expr, globals_, num_funcs) != [expected]:
        raise ValidationError("type mismatch", None, expr.offset)


def const_expr_func_refs(expr: ConstExpr):
    """Function indices a constant expression references with ref.func."""
    return [imm for opcode, imm, _ in expr.instrs if opcode == op.REF_FUNC]
