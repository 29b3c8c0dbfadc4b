/* interp: a small register-machine bytecode interpreter running a generated program for n
 * iterations.  The opcode switch compiles to a Wasm br_table and the CALL op goes through a
 * function-pointer table (call_indirect): dispatch-heavy, unpredictable control flow. */
#include "common.h"

enum { OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_SHL, OP_SHR, OP_ROT, OP_ADDI, OP_MOV, OP_CALL,
       OP_JNZ, OP_DEC, OP_HALT, OP_AND, OP_OR, OP_SELECT, NUM_OPS };

typedef uint32_t (*helper_fn)(uint32_t, uint32_t);

static uint32_t h_mix(uint32_t a, uint32_t b) { return (a ^ b) * 0x9e3779b1u; }
static uint32_t h_avg(uint32_t a, uint32_t b) { return (a & b) + ((a ^ b) >> 1); }
static uint32_t h_max(uint32_t a, uint32_t b) { return a > b ? a : b; }
static uint32_t h_rem(uint32_t a, uint32_t b) { return a % (b | 1); }

static helper_fn helpers[4] = {h_mix, h_avg, h_max, h_rem};

#define PROG_LEN 64
#define NREGS 8

/* Instruction: op, destination, two sources packed in a uint32 (8 bits each). */
static uint32_t program[PROG_LEN];

static uint32_t encode(uint32_t op, uint32_t d, uint32_t a, uint32_t b) {
    return op | d << 8 | a << 16 | b << 24;
}

static int build_program(void) {
    int pc = 0;
    uint32_t state = 0x1234567u;
    /* r7 is the loop counter (set by the caller); the body is 24 pseudo-random ALU/call ops. */
    for (int i = 0; i < 24; i++) {
        uint32_t r = xorshift32(&state);
        uint32_t op = r % 10;              /* OP_ADD .. OP_CALL */
        if (op == OP_CALL && (r >> 8) % 3) /* calls are rarer than plain ops */
            op = OP_XOR;
        if (op == OP_MOV) op = OP_SELECT;
        program[pc++] = encode(op, (r >> 12) % 7, (r >> 16) % 7,
                               op == OP_CALL ? (r >> 20) % 4 : (r >> 20) % 7);  /* helper or reg */
    }
    program[pc++] = encode(OP_AND, 6, 6, 5);
    program[pc++] = encode(OP_OR, 5, 5, 0);
    program[pc++] = encode(OP_DEC, 7, 0, 0);
    program[pc++] = encode(OP_JNZ, 7, 0, 0);  /* jump to pc 0 while r7 != 0 */
    program[pc++] = encode(OP_HALT, 0, 0, 0);
    return pc;
}

static uint32_t execute(uint32_t *regs) {
    uint32_t pc = 0;
    for (;;) {
        uint32_t ins = program[pc++];
        uint32_t d = (ins >> 8) & 0xff, a = (ins >> 16) & 0xff, b = ins >> 24;
        switch (ins & 0xff) {
        case OP_ADD: regs[d] = regs[a] + regs[b]; break;
        case OP_SUB: regs[d] = regs[a] - regs[b]; break;
        case OP_MUL: regs[d] = regs[a] * regs[b] + 1; break;
        case OP_XOR: regs[d] = regs[a] ^ regs[b]; break;
        case OP_SHL: regs[d] = regs[a] << (regs[b] & 31); break;
        case OP_SHR: regs[d] = regs[a] >> (regs[b] & 31); break;
        case OP_ROT: regs[d] = (regs[a] << (regs[b] & 31)) | (regs[a] >> ((32 - regs[b]) & 31)); break;
        case OP_ADDI: regs[d] = regs[a] + b + 0x1001; break;
        case OP_MOV: regs[d] = regs[a]; break;
        case OP_CALL: regs[d] = helpers[b & 3](regs[a], regs[d]); break;
        case OP_JNZ: if (regs[d]) pc = a; break;
        case OP_DEC: regs[d]--; break;
        case OP_AND: regs[d] = regs[a] & regs[b]; break;
        case OP_OR: regs[d] = regs[a] | regs[b] | 1; break;
        case OP_SELECT: regs[d] = regs[a] < regs[b] ? regs[a] : regs[b] + 3; break;
        case OP_HALT: return pc;
        default: return 0xffffffffu;
        }
    }
}

int run(int n) {
    build_program();
    uint32_t regs[NREGS] = {1, 2, 3, 4, 5, 6, 0xdeadbeefu, (uint32_t)n};
    if (n < 1) regs[7] = 1;
    uint32_t hash = mix32(MIX_SEED, execute(regs));
    for (int i = 0; i < NREGS; i++)
        hash = mix32(hash, regs[i]);
    return (int)hash;
}
