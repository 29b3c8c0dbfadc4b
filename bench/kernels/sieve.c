/* sieve: Sieve of Eratosthenes over a byte array: counts the primes below min(n, 2^20), in rounds
 * until n numbers have been sieved in total.  Byte stores in nested loops with a data-dependent
 * stride; the array stays cache-resident so this measures code, not DRAM. */
#include "common.h"

#define LIMIT_MAX (1u << 20)

static uint8_t composite[LIMIT_MAX];

static uint32_t count_primes(uint32_t limit) {
    for (uint32_t i = 0; i < limit; i++)
        composite[i] = 0;
    uint32_t count = 0;
    for (uint32_t i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        if (i < 65536)
            for (uint32_t j = i * i; j < limit; j += i)
                composite[j] = 1;
    }
    return count;
}

int run(int n) {
    uint32_t hash = MIX_SEED;
    for (uint32_t remaining = n > 0 ? (uint32_t)n : 0; remaining > 0;) {
        uint32_t limit = remaining < LIMIT_MAX ? remaining : LIMIT_MAX;
        hash = mix32(hash, count_primes(limit));
        remaining -= limit;
    }
    return (int)hash;
}
