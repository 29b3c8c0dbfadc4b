/* memmove: n overlapping moves inside a 64 KiB buffer, alternating short (1-64 byte) and long
 * (up to 4 KiB) lengths in both directions.  Compiles to Wasm memory.copy (bulk memory), so it
 * measures the engine's memory.copy path, including its fixed per-call cost. */
#include "common.h"

#define BUF_LEN (64 * 1024)
#define MAX_LEN (4 * 1024)

static uint8_t buffer[BUF_LEN];

int run(int n) {
    fill_random(buffer, BUF_LEN, 0x6d656d6du);
    uint32_t state = 0x13579bdfu;
    for (int i = 0; i < n; i++) {
        uint32_t r = xorshift32(&state);
        uint32_t len = 1 + (r & ((i & 1) ? (MAX_LEN - 1) : 63));
        uint32_t src = xorshift32(&state) % (BUF_LEN - 3 * MAX_LEN) + MAX_LEN;
        uint32_t delta = 1 + ((r >> 16) & 255);
        uint32_t dst = (r & 0x8000) ? src + delta : src - delta;
        __builtin_memmove(buffer + dst, buffer + src, len);
        buffer[dst] ^= (uint8_t)i;
    }
    uint32_t hash = MIX_SEED;
    for (uint32_t i = 0; i < BUF_LEN; i += 4)
        hash = mix32(hash, (uint32_t)buffer[i] | (uint32_t)buffer[i + 1] << 8
                           | (uint32_t)buffer[i + 2] << 16 | (uint32_t)buffer[i + 3] << 24);
    return (int)hash;
}
