"""Every Wasm 2.0 opcode: its name, immediate kind and (for simple ops) its stack signature.

This is the single source of opcode facts for the decoder, the validator and the compiler.

An opcode is an int: the byte for single-byte opcodes, `(prefix << 8) | subop` for the 0xFC
(saturating truncation, bulk memory, tables) and 0xFD (SIMD) families, as in `ConstExpr`.
Sub-opcodes are u32 LEBs in the binary; all defined ones are < 256, so the packing is unique.

Named constants are generated from the table: `I32_ADD`, `V128_LOAD8X8_S`, `MEMORY_GROW`, ...
(the name upper-cased with `.` replaced by `_`).

Signatures are strings `"params:results"` over the letters i=i32 l=i64 f=f32 d=f64 v=v128,
given for every op whose typing is fixed (numeric, SIMD, loads/stores); `None` for the
control/variable/reference/table ops whose typing depends on context. `SIGNATURES` holds the
decoded form `(pop types, push types)` with params in stack order (last param popped first).
"""

from collections import namedtuple

from ..errors import DecodeError
from .leb128 import read_s32, read_s33, read_s64, read_u32
from .types import F32, F64, I32, I64, V128

PREFIX_FC = 0xFC
PREFIX_FD = 0xFD

# Immediate kinds.
IMM_NONE = 0
IMM_BLOCKTYPE = 1      # s33: 0x40 empty, a valtype byte, or a type index >= 0
IMM_LABEL = 2          # u32 label depth
IMM_BR_TABLE = 3       # vec(u32) labels, u32 default
IMM_FUNC = 4           # u32 function index
IMM_CALL_INDIRECT = 5  # u32 type index, u32 table index
IMM_LOCAL = 6          # u32 local index
IMM_GLOBAL = 7         # u32 global index
IMM_TABLE = 8          # u32 table index
IMM_MEMARG = 9         # u32 align (log2), u32 offset
IMM_ZERO = 10          # one reserved 0x00 byte (memory index 0): memory.size/grow/fill
IMM_I32 = 11           # s32
IMM_I64 = 12           # s64
IMM_F32 = 13           # 4 bytes
IMM_F64 = 14           # 8 bytes
IMM_SELECT_T = 15      # vec(valtype)
IMM_REFTYPE = 16       # one reftype byte
IMM_MEMORY_INIT = 17   # u32 data index, reserved 0x00
IMM_DATA = 18          # u32 data index
IMM_MEMORY_COPY = 19   # two reserved 0x00 bytes
IMM_TABLE_INIT = 20    # u32 elem index, u32 table index
IMM_ELEM = 21          # u32 elem index
IMM_TABLE_COPY = 22    # u32 destination table, u32 source table
IMM_V128 = 23          # 16 bytes
IMM_SHUFFLE = 24       # 16 lane index bytes, each < 32
IMM_LANE = 25          # one lane index byte
IMM_MEMARG_LANE = 26   # memarg, then one lane index byte

_IMM_BY_TAG = {
    "-": IMM_NONE, "bt": IMM_BLOCKTYPE, "label": IMM_LABEL, "br_table": IMM_BR_TABLE,
    "func": IMM_FUNC, "call_indirect": IMM_CALL_INDIRECT, "local": IMM_LOCAL,
    "global": IMM_GLOBAL, "table": IMM_TABLE, "memarg": IMM_MEMARG, "zero": IMM_ZERO,
    "i32": IMM_I32, "i64": IMM_I64, "f32": IMM_F32, "f64": IMM_F64, "select_t": IMM_SELECT_T,
    "reftype": IMM_REFTYPE, "memory_init": IMM_MEMORY_INIT, "data": IMM_DATA,
    "memory_copy": IMM_MEMORY_COPY, "table_init": IMM_TABLE_INIT, "elem": IMM_ELEM,
    "table_copy": IMM_TABLE_COPY, "v128": IMM_V128, "shuffle": IMM_SHUFFLE, "lane": IMM_LANE,
    "memarg_lane": IMM_MEMARG_LANE,
}

_SIG_LETTERS = {"i": I32, "l": I64, "f": F32, "d": F64, "v": V128}

# opcode name immediate signature [extra]
#   extra: for memory accesses the natural alignment (log2 of the access size in bytes);
#          for lane ops the number of lanes (lane index must be below it).
_TABLE = """
00 unreachable - -
01 nop - :
02 block bt -
03 loop bt -
04 if bt -
05 else - -
0B end - -
0C br label -
0D br_if label -
0E br_table br_table -
0F return - -
10 call func -
11 call_indirect call_indirect -
1A drop - -
1B select - -
1C select_t select_t -
20 local.get local -
21 local.set local -
22 local.tee local -
23 global.get global -
24 global.set global -
25 table.get table -
26 table.set table -
28 i32.load memarg i:i 2
29 i64.load memarg i:l 3
2A f32.load memarg i:f 2
2B f64.load memarg i:d 3
2C i32.load8_s memarg i:i 0
2D i32.load8_u memarg i:i 0
2E i32.load16_s memarg i:i 1
2F i32.load16_u memarg i:i 1
30 i64.load8_s memarg i:l 0
31 i64.load8_u memarg i:l 0
32 i64.load16_s memarg i:l 1
33 i64.load16_u memarg i:l 1
34 i64.load32_s memarg i:l 2
35 i64.load32_u memarg i:l 2
36 i32.store memarg ii: 2
37 i64.store memarg il: 3
38 f32.store memarg if: 2
39 f64.store memarg id: 3
3A i32.store8 memarg ii: 0
3B i32.store16 memarg ii: 1
3C i64.store8 memarg il: 0
3D i64.store16 memarg il: 1
3E i64.store32 memarg il: 2
3F memory.size zero :i
40 memory.grow zero i:i
41 i32.const i32 :i
42 i64.const i64 :l
43 f32.const f32 :f
44 f64.const f64 :d
45 i32.eqz - i:i
46 i32.eq - ii:i
47 i32.ne - ii:i
48 i32.lt_s - ii:i
49 i32.lt_u - ii:i
4A i32.gt_s - ii:i
4B i32.gt_u - ii:i
4C i32.le_s - ii:i
4D i32.le_u - ii:i
4E i32.ge_s - ii:i
4F i32.ge_u - ii:i
50 i64.eqz - l:i
51 i64.eq - ll:i
52 i64.ne - ll:i
53 i64.lt_s - ll:i
54 i64.lt_u - ll:i
55 i64.gt_s - ll:i
56 i64.gt_u - ll:i
57 i64.le_s - ll:i
58 i64.le_u - ll:i
59 i64.ge_s - ll:i
5A i64.ge_u - ll:i
5B f32.eq - ff:i
5C f32.ne - ff:i
5D f32.lt - ff:i
5E f32.gt - ff:i
5F f32.le - ff:i
60 f32.ge - ff:i
61 f64.eq - dd:i
62 f64.ne - dd:i
63 f64.lt - dd:i
64 f64.gt - dd:i
65 f64.le - dd:i
66 f64.ge - dd:i
67 i32.clz - i:i
68 i32.ctz - i:i
69 i32.popcnt - i:i
6A i32.add - ii:i
6B i32.sub - ii:i
6C i32.mul - ii:i
6D i32.div_s - ii:i
6E i32.div_u - ii:i
6F i32.rem_s - ii:i
70 i32.rem_u - ii:i
71 i32.and - ii:i
72 i32.or - ii:i
73 i32.xor - ii:i
74 i32.shl - ii:i
75 i32.shr_s - ii:i
76 i32.shr_u - ii:i
77 i32.rotl - ii:i
78 i32.rotr - ii:i
79 i64.clz - l:l
7A i64.ctz - l:l
7B i64.popcnt - l:l
7C i64.add - ll:l
7D i64.sub - ll:l
7E i64.mul - ll:l
7F i64.div_s - ll:l
80 i64.div_u - ll:l
81 i64.rem_s - ll:l
82 i64.rem_u - ll:l
83 i64.and - ll:l
84 i64.or - ll:l
85 i64.xor - ll:l
86 i64.shl - ll:l
87 i64.shr_s - ll:l
88 i64.shr_u - ll:l
89 i64.rotl - ll:l
8A i64.rotr - ll:l
8B f32.abs - f:f
8C f32.neg - f:f
8D f32.ceil - f:f
8E f32.floor - f:f
8F f32.trunc - f:f
90 f32.nearest - f:f
91 f32.sqrt - f:f
92 f32.add - ff:f
93 f32.sub - ff:f
94 f32.mul - ff:f
95 f32.div - ff:f
96 f32.min - ff:f
97 f32.max - ff:f
98 f32.copysign - ff:f
99 f64.abs - d:d
9A f64.neg - d:d
9B f64.ceil - d:d
9C f64.floor - d:d
9D f64.trunc - d:d
9E f64.nearest - d:d
9F f64.sqrt - d:d
A0 f64.add - dd:d
A1 f64.sub - dd:d
A2 f64.mul - dd:d
A3 f64.div - dd:d
A4 f64.min - dd:d
A5 f64.max - dd:d
A6 f64.copysign - dd:d
A7 i32.wrap_i64 - l:i
A8 i32.trunc_f32_s - f:i
A9 i32.trunc_f32_u - f:i
AA i32.trunc_f64_s - d:i
AB i32.trunc_f64_u - d:i
AC i64.extend_i32_s - i:l
AD i64.extend_i32_u - i:l
AE i64.trunc_f32_s - f:l
AF i64.trunc_f32_u - f:l
B0 i64.trunc_f64_s - d:l
B1 i64.trunc_f64_u - d:l
B2 f32.convert_i32_s - i:f
B3 f32.convert_i32_u - i:f
B4 f32.convert_i64_s - l:f
B5 f32.convert_i64_u - l:f
B6 f32.demote_f64 - d:f
B7 f64.convert_i32_s - i:d
B8 f64.convert_i32_u - i:d
B9 f64.convert_i64_s - l:d
BA f64.convert_i64_u - l:d
BB f64.promote_f32 - f:d
BC i32.reinterpret_f32 - f:i
BD i64.reinterpret_f64 - d:l
BE f32.reinterpret_i32 - i:f
BF f64.reinterpret_i64 - l:d
C0 i32.extend8_s - i:i
C1 i32.extend16_s - i:i
C2 i64.extend8_s - l:l
C3 i64.extend16_s - l:l
C4 i64.extend32_s - l:l
D0 ref.null reftype -
D1 ref.is_null - -
D2 ref.func func -
FC00 i32.trunc_sat_f32_s - f:i
FC01 i32.trunc_sat_f32_u - f:i
FC02 i32.trunc_sat_f64_s - d:i
FC03 i32.trunc_sat_f64_u - d:i
FC04 i64.trunc_sat_f32_s - f:l
FC05 i64.trunc_sat_f32_u - f:l
FC06 i64.trunc_sat_f64_s - d:l
FC07 i64.trunc_sat_f64_u - d:l
FC08 memory.init memory_init iii:
FC09 data.drop data :
FC0A memory.copy memory_copy iii:
FC0B memory.fill zero iii:
FC0C table.init table_init iii:
FC0D elem.drop elem :
FC0E table.copy table_copy iii:
FC0F table.grow table -
FC10 table.size table :i
FC11 table.fill table -
FD00 v128.load memarg i:v 4
FD01 v128.load8x8_s memarg i:v 3
FD02 v128.load8x8_u memarg i:v 3
FD03 v128.load16x4_s memarg i:v 3
FD04 v128.load16x4_u memarg i:v 3
FD05 v128.load32x2_s memarg i:v 3
FD06 v128.load32x2_u memarg i:v 3
FD07 v128.load8_splat memarg i:v 0
FD08 v128.load16_splat memarg i:v 1
FD09 v128.load32_splat memarg i:v 2
FD0A v128.load64_splat memarg i:v 3
FD0B v128.store memarg iv: 4
FD0C v128.const v128 :v
FD0D i8x16.shuffle shuffle vv:v
FD0E i8x16.swizzle - vv:v
FD0F i8x16.splat - i:v
FD10 i16x8.splat - i:v
FD11 i32x4.splat - i:v
FD12 i64x2.splat - l:v
FD13 f32x4.splat - f:v
FD14 f64x2.splat - d:v
FD15 i8x16.extract_lane_s lane v:i 16
FD16 i8x16.extract_lane_u lane v:i 16
FD17 i8x16.replace_lane lane vi:v 16
FD18 i16x8.extract_lane_s lane v:i 8
FD19 i16x8.extract_lane_u lane v:i 8
FD1A i16x8.replace_lane lane vi:v 8
FD1B i32x4.extract_lane lane v:i 4
FD1C i32x4.replace_lane lane vi:v 4
FD1D i64x2.extract_lane lane v:l 2
FD1E i64x2.replace_lane lane vl:v 2
FD1F f32x4.extract_lane lane v:f 4
FD20 f32x4.replace_lane lane vf:v 4
FD21 f64x2.extract_lane lane v:d 2
FD22 f64x2.replace_lane lane vd:v 2
FD23 i8x16.eq - vv:v
FD24 i8x16.ne - vv:v
FD25 i8x16.lt_s - vv:v
FD26 i8x16.lt_u - vv:v
FD27 i8x16.gt_s - vv:v
FD28 i8x16.gt_u - vv:v
FD29 i8x16.le_s - vv:v
FD2A i8x16.le_u - vv:v
FD2B i8x16.ge_s - vv:v
FD2C i8x16.ge_u - vv:v
FD2D i16x8.eq - vv:v
FD2E i16x8.ne - vv:v
FD2F i16x8.lt_s - vv:v
FD30 i16x8.lt_u - vv:v
FD31 i16x8.gt_s - vv:v
FD32 i16x8.gt_u - vv:v
FD33 i16x8.le_s - vv:v
FD34 i16x8.le_u - vv:v
FD35 i16x8.ge_s - vv:v
FD36 i16x8.ge_u - vv:v
FD37 i32x4.eq - vv:v
FD38 i32x4.ne - vv:v
FD39 i32x4.lt_s - vv:v
FD3A i32x4.lt_u - vv:v
FD3B i32x4.gt_s - vv:v
FD3C i32x4.gt_u - vv:v
FD3D i32x4.le_s - vv:v
FD3E i32x4.le_u - vv:v
FD3F i32x4.ge_s - vv:v
FD40 i32x4.ge_u - vv:v
FD41 f32x4.eq - vv:v
FD42 f32x4.ne - vv:v
FD43 f32x4.lt - vv:v
FD44 f32x4.gt - vv:v
FD45 f32x4.le - vv:v
FD46 f32x4.ge - vv:v
FD47 f64x2.eq - vv:v
FD48 f64x2.ne - vv:v
FD49 f64x2.lt - vv:v
FD4A f64x2.gt - vv:v
FD4B f64x2.le - vv:v
FD4C f64x2.ge - vv:v
FD4D v128.not - v:v
FD4E v128.and - vv:v
FD4F v128.andnot - vv:v
FD50 v128.or - vv:v
FD51 v128.xor - vv:v
FD52 v128.bitselect - vvv:v
FD53 v128.any_true - v:i
FD54 v128.load8_lane memarg_lane iv:v 0 16
FD55 v128.load16_lane memarg_lane iv:v 1 8
FD56 v128.load32_lane memarg_lane iv:v 2 4
FD57 v128.load64_lane memarg_lane iv:v 3 2
FD58 v128.store8_lane memarg_lane iv: 0 16
FD59 v128.store16_lane memarg_lane iv: 1 8
FD5A v128.store32_lane memarg_lane iv: 2 4
FD5B v128.store64_lane memarg_lane iv: 3 2
FD5C v128.load32_zero memarg i:v 2
FD5D v128.load64_zero memarg i:v 3
FD5E f32x4.demote_f64x2_zero - v:v
FD5F f64x2.promote_low_f32x4 - v:v
FD60 i8x16.abs - v:v
FD61 i8x16.neg - v:v
FD62 i8x16.popcnt - v:v
FD63 i8x16.all_true - v:i
FD64 i8x16.bitmask - v:i
FD65 i8x16.narrow_i16x8_s - vv:v
FD66 i8x16.narrow_i16x8_u - vv:v
FD67 f32x4.ceil - v:v
FD68 f32x4.floor - v:v
FD69 f32x4.trunc - v:v
FD6A f32x4.nearest - v:v
FD6B i8x16.shl - vi:v
FD6C i8x16.shr_s - vi:v
FD6D i8x16.shr_u - vi:v
FD6E i8x16.add - vv:v
FD6F i8x16.add_sat_s - vv:v
FD70 i8x16.add_sat_u - vv:v
FD71 i8x16.sub - vv:v
FD72 i8x16.sub_sat_s - vv:v
FD73 i8x16.sub_sat_u - vv:v
FD74 f64x2.ceil - v:v
FD75 f64x2.floor - v:v
FD76 i8x16.min_s - vv:v
FD77 i8x16.min_u - vv:v
FD78 i8x16.max_s - vv:v
FD79 i8x16.max_u - vv:v
FD7A f64x2.trunc - v:v
FD7B i8x16.avgr_u - vv:v
FD7C i16x8.extadd_pairwise_i8x16_s - v:v
FD7D i16x8.extadd_pairwise_i8x16_u - v:v
FD7E i32x4.extadd_pairwise_i16x8_s - v:v
FD7F i32x4.extadd_pairwise_i16x8_u - v:v
FD80 i16x8.abs - v:v
FD81 i16x8.neg - v:v
FD82 i16x8.q15mulr_sat_s - vv:v
FD83 i16x8.all_true - v:i
FD84 i16x8.bitmask - v:i
FD85 i16x8.narrow_i32x4_s - vv:v
FD86 i16x8.narrow_i32x4_u - vv:v
FD87 i16x8.extend_low_i8x16_s - v:v
FD88 i16x8.extend_high_i8x16_s - v:v
FD89 i16x8.extend_low_i8x16_u - v:v
FD8A i16x8.extend_high_i8x16_u - v:v
FD8B i16x8.shl - vi:v
FD8C i16x8.shr_s - vi:v
FD8D i16x8.shr_u - vi:v
FD8E i16x8.add - vv:v
FD8F i16x8.add_sat_s - vv:v
FD90 i16x8.add_sat_u - vv:v
FD91 i16x8.sub - vv:v
FD92 i16x8.sub_sat_s - vv:v
FD93 i16x8.sub_sat_u - vv:v
FD94 f64x2.nearest - v:v
FD95 i16x8.mul - vv:v
FD96 i16x8.min_s - vv:v
FD97 i16x8.min_u - vv:v
FD98 i16x8.max_s - vv:v
FD99 i16x8.max_u - vv:v
FD9B i16x8.avgr_u - vv:v
FD9C i16x8.extmul_low_i8x16_s - vv:v
FD9D i16x8.extmul_high_i8x16_s - vv:v
FD9E i16x8.extmul_low_i8x16_u - vv:v
FD9F i16x8.extmul_high_i8x16_u - vv:v
FDA0 i32x4.abs - v:v
FDA1 i32x4.neg - v:v
FDA3 i32x4.all_true - v:i
FDA4 i32x4.bitmask - v:i
FDA7 i32x4.extend_low_i16x8_s - v:v
FDA8 i32x4.extend_high_i16x8_s - v:v
FDA9 i32x4.extend_low_i16x8_u - v:v
FDAA i32x4.extend_high_i16x8_u - v:v
FDAB i32x4.shl - vi:v
FDAC i32x4.shr_s - vi:v
FDAD i32x4.shr_u - vi:v
FDAE i32x4.add - vv:v
FDB1 i32x4.sub - vv:v
FDB5 i32x4.mul - vv:v
FDB6 i32x4.min_s - vv:v
FDB7 i32x4.min_u - vv:v
FDB8 i32x4.max_s - vv:v
FDB9 i32x4.max_u - vv:v
FDBA i32x4.dot_i16x8_s - vv:v
FDBC i32x4.extmul_low_i16x8_s - vv:v
FDBD i32x4.extmul_high_i16x8_s - vv:v
FDBE i32x4.extmul_low_i16x8_u - vv:v
FDBF i32x4.extmul_high_i16x8_u - vv:v
FDC0 i64x2.abs - v:v
FDC1 i64x2.neg - v:v
FDC3 i64x2.all_true - v:i
FDC4 i64x2.bitmask - v:i
FDC7 i64x2.extend_low_i32x4_s - v:v
FDC8 i64x2.extend_high_i32x4_s - v:v
FDC9 i64x2.extend_low_i32x4_u - v:v
FDCA i64x2.extend_high_i32x4_u - v:v
FDCB i64x2.shl - vi:v
FDCC i64x2.shr_s - vi:v
FDCD i64x2.shr_u - vi:v
FDCE i64x2.add - vv:v
FDD1 i64x2.sub - vv:v
FDD5 i64x2.mul - vv:v
FDD6 i64x2.eq - vv:v
FDD7 i64x2.ne - vv:v
FDD8 i64x2.lt_s - vv:v
FDD9 i64x2.gt_s - vv:v
FDDA i64x2.le_s - vv:v
FDDB i64x2.ge_s - vv:v
FDDC i64x2.extmul_low_i32x4_s - vv:v
FDDD i64x2.extmul_high_i32x4_s - vv:v
FDDE i64x2.extmul_low_i32x4_u - vv:v
FDDF i64x2.extmul_high_i32x4_u - vv:v
FDE0 f32x4.abs - v:v
FDE1 f32x4.neg - v:v
FDE3 f32x4.sqrt - v:v
FDE4 f32x4.add - vv:v
FDE5 f32x4.sub - vv:v
FDE6 f32x4.mul - vv:v
FDE7 f32x4.div - vv:v
FDE8 f32x4.min - vv:v
FDE9 f32x4.max - vv:v
FDEA f32x4.pmin - vv:v
FDEB f32x4.pmax - vv:v
FDEC f64x2.abs - v:v
FDED f64x2.neg - v:v
FDEF f64x2.sqrt - v:v
FDF0 f64x2.add - vv:v
FDF1 f64x2.sub - vv:v
FDF2 f64x2.mul - vv:v
FDF3 f64x2.div - vv:v
FDF4 f64x2.min - vv:v
FDF5 f64x2.max - vv:v
FDF6 f64x2.pmin - vv:v
FDF7 f64x2.pmax - vv:v
FDF8 i32x4.trunc_sat_f32x4_s - v:v
FDF9 i32x4.trunc_sat_f32x4_u - v:v
FDFA f32x4.convert_i32x4_s - v:v
FDFB f32x4.convert_i32x4_u - v:v
FDFC i32x4.trunc_sat_f64x2_s_zero - v:v
FDFD i32x4.trunc_sat_f64x2_u_zero - v:v
FDFE f64x2.convert_low_i32x4_s - v:v
FDFF f64x2.convert_low_i32x4_u - v:v
"""


class OpInfo(namedtuple("OpInfo", "name imm sig align lanes")):
    """Fields:
    imm: IMM_* kind
    sig: (pop types, push types) or None when context-dependent
    align: natural alignment (log2 bytes) of a memory access
    lanes: lane count of a lane-indexed op
    """
    __slots__ = ()


def _parse_sig(text: str):
    if text == "-":
        return None
    params, results = text.split(":")
    return (tuple(_SIG_LETTERS[c] for c in reversed(params)),
            tuple(_SIG_LETTERS[c] for c in results))


def _build():
    """The table parsed (on every import, so written for speed: signatures parsed once each)."""
    info = {}
    sigs = {}
    make = OpInfo._make
    for line in _TABLE.strip().split("\n"):
        code, name, imm, sig, *extra = line.split()
        imm_kind = _IMM_BY_TAG[imm]
        parsed = sigs.get(sig, False)
        if parsed is False:
            parsed = sigs[sig] = _parse_sig(sig)
        align = lanes = None
        if extra:                     # memory access: alignment [, lanes]; lane op: lanes
            if imm_kind == IMM_LANE:
                lanes = int(extra[0])
            else:
                align = int(extra[0])
                if imm_kind == IMM_MEMARG_LANE:
                    lanes = int(extra[1])
        elif imm_kind == IMM_SHUFFLE:
            lanes = 32
        info[int(code, 16)] = make((name, imm_kind, parsed, align, lanes))
    return info


OPCODES: dict = _build()
"""opcode -> OpInfo for every Wasm 2.0 opcode."""

NAMES = {op: i.name for op, i in OPCODES.items()}
BY_NAME = {i.name: op for op, i in OPCODES.items()}
SIGNATURES = {op: i.sig for op, i in OPCODES.items() if i.sig is not None}
NATURAL_ALIGN = {op: i.align for op, i in OPCODES.items() if i.align is not None}
LANES = {op: i.lanes for op, i in OPCODES.items() if i.lanes is not None}

# Immediate kind per single byte (None: illegal, or a prefix byte) and per prefixed opcode.
IMM_BY_BYTE = [None] * 256
for _op, _i in OPCODES.items():
    if _op < 0x100:
        IMM_BY_BYTE[_op] = _i.imm
IMM_BY_OPCODE = {op: i.imm for op, i in OPCODES.items()}

globals().update({name.upper().replace(".", "_"): op for op, name in NAMES.items()})
del _op, _i


def opcode_name(op: int) -> str:
    return NAMES.get(op) or f"<opcode 0x{op:x}>"


def read_opcode(data, pos: int):
    """Read one opcode at `pos` (a byte, or a prefix and its u32 sub-opcode).

    Returns `(opcode, new_pos)`; raises DecodeError("illegal opcode") for an undefined one.
    """
    try:
        b = data[pos]
    except IndexError:
        raise DecodeError("unexpected end", pos) from None
    if b != PREFIX_FC and b != PREFIX_FD:
        if IMM_BY_BYTE[b] is None:
            raise DecodeError("illegal opcode", pos)
        return b, pos + 1
    sub, npos = read_u32(data, pos + 1)
    op = (b << 8) | sub
    if sub > 0xFF or op not in OPCODES:
        raise DecodeError("illegal opcode", pos)
    return op, npos


def _need(data, pos: int, n: int) -> int:
    if pos + n > len(data):
        raise DecodeError("unexpected end", pos)
    return pos + n


def _zero_byte(data, pos: int) -> int:
    _need(data, pos, 1)
    if data[pos] != 0:
        raise DecodeError("zero byte expected", pos)
    return pos + 1


def _skip_memarg(data, pos):
    _, pos = read_u32(data, pos)
    _, pos = read_u32(data, pos)
    return pos


def _skip_br_table(data, pos):
    n, pos = read_u32(data, pos)
    for _ in range(n + 1):
        _, pos = read_u32(data, pos)
    return pos


def _skip_select_t(data, pos):
    n, pos = read_u32(data, pos)
    return _need(data, pos, n)


def _skip_u32(data, pos):
    return read_u32(data, pos)[1]


def _skip_two_u32(data, pos):
    return read_u32(data, read_u32(data, pos)[1])[1]


_SKIPPERS = {
    IMM_NONE: lambda data, pos: pos,
    IMM_BLOCKTYPE: lambda data, pos: read_s33(data, pos)[1],
    IMM_LABEL: _skip_u32,
    IMM_BR_TABLE: _skip_br_table,
    IMM_FUNC: _skip_u32,
    IMM_CALL_INDIRECT: _skip_two_u32,
    IMM_LOCAL: _skip_u32,
    IMM_GLOBAL: _skip_u32,
    IMM_TABLE: _skip_u32,
    IMM_MEMARG: _skip_memarg,
    IMM_ZERO: _zero_byte,
    IMM_I32: lambda data, pos: read_s32(data, pos)[1],
    IMM_I64: lambda data, pos: read_s64(data, pos)[1],
    IMM_F32: lambda data, pos: _need(data, pos, 4),
    IMM_F64: lambda data, pos: _need(data, pos, 8),
    IMM_SELECT_T: _skip_select_t,
    IMM_REFTYPE: lambda data, pos: _need(data, pos, 1),
    IMM_MEMORY_INIT: lambda data, pos: _zero_byte(data, _skip_u32(data, pos)),
    IMM_DATA: _skip_u32,
    IMM_MEMORY_COPY: lambda data, pos: _zero_byte(data, _zero_byte(data, pos)),
    IMM_TABLE_INIT: _skip_two_u32,
    IMM_ELEM: _skip_u32,
    IMM_TABLE_COPY: _skip_two_u32,
    IMM_V128: lambda data, pos: _need(data, pos, 16),
    IMM_SHUFFLE: lambda data, pos: _need(data, pos, 16),
    IMM_LANE: lambda data, pos: _need(data, pos, 1),
    IMM_MEMARG_LANE: lambda data, pos: _need(data, _skip_memarg(data, pos), 1),
}


def skip_immediates(data, pos: int, opcode: int) -> int:
    """Return the position after the immediates of `opcode`, whose immediates start at `pos`.

    Checks only well-formedness (LEB rules, reserved zero bytes, truncation); index and lane
    bounds are the validator's job.
    """
    imm = IMM_BY_OPCODE.get(opcode)
    if imm is None:
        raise DecodeError("illegal opcode", pos)
    return _SKIPPERS[imm](data, pos)
