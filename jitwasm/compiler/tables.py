"""Reference and table instructions.

table.get/set/size are inline: the TableDesc {base, length} is reloaded at every access (a
table.grow elsewhere may have moved `base`), the index is checked against `length` ("out of
bounds table access"). table.grow/fill/copy/init and elem.drop call the runtime's builtins.
A funcref value is the address of a FuncRef record, an externref a non-zero handle; null is 0.
"""

from ..backend_x64 import masm
from ..backend_x64.assembler import ALU_CMP, Mem
from ..backend_x64.masm import SCRATCH, fits_simm32
from ..backend_x64.regs import CC_AE, CC_E
from ..binary import opcodes as op
from ..binary.types import FUNCREF, I32
from ..runtime import builtins
from ..runtime.traps import TRAP_TABLE_OUT_OF_BOUNDS
from .decoding import read_u32
from .values import GCLEAR, K_CONST, K_FLAGS, K_REG


class TableOps:
    """ref.null/is_null/func and the table instructions."""

    __slots__ = ()

    def table_element(self, table: int, index: int, start: int) -> Mem:
        """Bounds-check the i32 in register `index` against `table` and return the element's
        operand (SCRATCH holds the table base)."""
        a = self.a
        masm.load_table_desc(a, SCRATCH, table)
        a.alu_rm(ALU_CMP, 64, index, Mem(SCRATCH, None, 1, 8))
        a.jcc(CC_AE, self.trap_label(TRAP_TABLE_OUT_OF_BOUNDS, start))
        a.mov_rm(64, SCRATCH, Mem(SCRATCH, None, 1, 0))
        return Mem(SCRATCH, index, 8, 0)

    def op_table_get(self, pos):
        start = pos - 1
        table, pos = read_u32(self.code, pos)
        kind, val, _ = self.pop()
        index = self.into_reg(kind, val, I32, len(self.kinds))
        self.a.mov_rm(64, index, self.table_element(table, index, start))
        self.push(K_REG, index, self.table_types[table])
        return pos

    def op_table_set(self, pos):
        start = pos - 1
        table, pos = read_u32(self.code, pos)
        vk, vv, vt = self.pop()
        ik, iv, _ = self.pop()
        depth = len(self.kinds)
        if vk == K_CONST and fits_simm32(vv):
            value = None
        else:
            value = self.into_reg(vk, vv, vt, depth + 1)
        index = self.into_reg(ik, iv, I32, depth)
        mem = self.table_element(table, index, start)
        if value is None:
            self.a.mov_mi(64, mem, vv)
        else:
            self.a.mov_mr(64, mem, value)
            self.gused &= GCLEAR[value]
        self.gused &= GCLEAR[index]
        return pos

    def op_table_size(self, pos, start):
        table, pos = read_u32(self.code, pos)
        dst = self.alloc_gpr()
        masm.load_table_desc(self.a, dst, table)
        self.a.mov_rm(32, dst, Mem(dst, None, 1, 8))
        self.push(K_REG, dst, I32)
        return pos

    def op_table_grow(self, pos, start):
        table, pos = read_u32(self.code, pos)
        self.call_builtin(builtins.TABLE_GROW, (table,), start)
        return pos

    def op_table_fill(self, pos, start):
        table, pos = read_u32(self.code, pos)
        self.call_builtin(builtins.TABLE_FILL, (table,), start)
        return pos

    def op_table_copy(self, pos, start):
        dst, pos = read_u32(self.code, pos)
        src, pos = read_u32(self.code, pos)
        self.call_builtin(builtins.TABLE_COPY, (dst, src), start)
        return pos

    def op_table_init(self, pos, start):
        seg, pos = read_u32(self.code, pos)
        table, pos = read_u32(self.code, pos)
        self.call_builtin(builtins.TABLE_INIT, (table, seg), start)
        return pos

    def op_elem_drop(self, pos, start):
        seg, pos = read_u32(self.code, pos)
        self.call_builtin(builtins.ELEM_DROP, (seg,), start)
        return pos

    def op_ref_null(self, pos):
        self.push(K_CONST, 0, self.code[pos])
        return pos + 1

    def op_ref_is_null(self, pos):
        kind, val, _ = self.pop()
        if kind == K_CONST:
            self.push(K_CONST, int(val == 0), I32)
            return pos
        if kind == K_REG:
            self.a.test_rr(64, val, val)
            self.gused &= GCLEAR[val]
        else:
            self.a.alu_mi(ALU_CMP, 64, self.mem_of(kind, val, len(self.kinds)), 0)
        self.push(K_FLAGS, CC_E, I32)
        self.settle_flags(pos)
        return pos

    def op_ref_func(self, pos):
        f, pos = read_u32(self.code, pos)
        dst = self.alloc_gpr()
        masm.load_func_ref(self.a, dst, f)
        self.push(K_REG, dst, FUNCREF)
        return pos


HANDLERS = {
    op.TABLE_GET: TableOps.op_table_get, op.TABLE_SET: TableOps.op_table_set,
    op.REF_NULL: TableOps.op_ref_null, op.REF_IS_NULL: TableOps.op_ref_is_null,
    op.REF_FUNC: TableOps.op_ref_func,
}
FC_HANDLERS = {
    0x0C: TableOps.op_table_init, 0x0D: TableOps.op_elem_drop, 0x0E: TableOps.op_table_copy,
    0x0F: TableOps.op_table_grow, 0x10: TableOps.op_table_size, 0x11: TableOps.op_table_fill,
}
