/* bigint: n! in base 2^32 limbs (schoolbook multiply by a small factor).
 * i64 multiplies, i64<->i32 extends/wraps and carries; checkable against math.factorial. */
#include "common.h"

#define MAX_LIMBS (1 << 16)

static uint32_t limbs[MAX_LIMBS];

int run(int n) {
    uint32_t len = 1;
    limbs[0] = 1;
    for (uint32_t k = 2; k <= (uint32_t)n; k++) {
        uint64_t carry = 0;
        for (uint32_t i = 0; i < len; i++) {
            uint64_t p = (uint64_t)limbs[i] * k + carry;
            limbs[i] = (uint32_t)p;
            carry = p >> 32;
        }
        if (carry) {
            if (len == MAX_LIMBS)
                return -1;
            limbs[len++] = (uint32_t)carry;
        }
    }
    uint32_t hash = mix32(MIX_SEED, len);
    for (uint32_t i = 0; i < len; i++)
        hash = mix32(hash, limbs[i]);
    return (int)hash;
}
