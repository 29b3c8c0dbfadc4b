/* sort: quicksort (median of three, insertion sort below 16) of n pseudo-random i32 values
 * (n <= 2^21).  Branchy compares, swaps and recursion; the result is verified sorted. */
#include "common.h"

#define MAXN (1 << 21)

static int32_t values[MAXN];

static void insertion_sort(int32_t *v, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
        int32_t x = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static inline void swap(int32_t *v, int i, int j) {
    int32_t t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void quicksort(int32_t *v, int lo, int hi) {
    while (hi - lo >= 16) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap(v, mid, lo);
        if (v[hi] < v[lo]) swap(v, hi, lo);
        if (v[hi] < v[mid]) swap(v, hi, mid);
        int32_t pivot = v[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) swap(v, i++, j--);
        }
        /* Recurse into the smaller half, loop on the larger: bounded stack depth. */
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
    insertion_sort(v, lo, hi);
}

int run(int n) {
    if (n < 1) n = 1;
    if (n > MAXN) n = MAXN;
    uint32_t state = 0x2545f491u;
    for (int i = 0; i < n; i++)
        values[i] = (int32_t)xorshift32(&state);
    quicksort(values, 0, n - 1);
    uint32_t hash = MIX_SEED;
    for (int i = 0; i < n; i++) {
        if (i > 0 && values[i - 1] > values[i])
            return -1;
        if ((i & 255) == 0)
            hash = mix32(hash, (uint32_t)values[i]);
    }
    return (int)mix32(hash, (uint32_t)values[n - 1]);
}
