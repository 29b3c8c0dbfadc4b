/* Shared helpers for the benchmark kernels.
 *
 * Kernels are built freestanding (no libc, no WASI imports): each one exports
 * `int run(int n)` that does work proportional to n and returns a checksum, so an
 * embedder can call it without providing any imports.  The same sources also
 * build natively (gcc) to cross-check the checksums.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stddef.h>

/* xorshift32: the deterministic PRNG every kernel uses to fill its input. */
static inline uint32_t xorshift32(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* FNV-1a step over a 32-bit word: folds results into one checksum. */
static inline uint32_t mix32(uint32_t hash, uint32_t value) {
    for (int i = 0; i < 4; i++) {
        hash ^= (value >> (8 * i)) & 0xff;
        hash *= 0x01000193u;
    }
    return hash;
}

#define MIX_SEED 0x811c9dc5u

/* Fold the exact bit pattern of a double (floating-point results must match bit for bit). */
static inline uint32_t mix_f64(uint32_t hash, double value) {
    uint64_t bits;
    __builtin_memcpy(&bits, &value, sizeof bits);
    return mix32(mix32(hash, (uint32_t)bits), (uint32_t)(bits >> 32));
}

/* Fill a byte buffer from xorshift32, little-endian words (reproducible in Python). */
static inline void fill_random(uint8_t *buf, size_t len, uint32_t seed) {
    uint32_t state = seed;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t r = xorshift32(&state);
        for (size_t j = 0; j < 4 && i + j < len; j++)
            buf[i + j] = (uint8_t)(r >> (8 * j));
    }
}

int run(int n);

#endif
