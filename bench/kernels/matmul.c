/* matmul: dense f64 matrix product C = A * B of size n x n (n <= 768), i-k-j loop order.
 * f64 loads, multiplies and adds; the checksum folds the exact bits of every result. */
#include "common.h"

#define MAXN 768

static double a[MAXN * MAXN], b[MAXN * MAXN], c[MAXN * MAXN];

int run(int n) {
    if (n < 1) n = 1;
    if (n > MAXN) n = MAXN;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i * n + j] = (double)((i * 7 + j * 3) % 17) * 0.25 - 1.0 + 1.0 / (double)(i + j + 1);
            b[i * n + j] = (double)((i * 5 + j * 11) % 13) * 0.5 - 3.0 + 1.0 / (double)(i * 2 + j + 3);
            c[i * n + j] = 0.0;
        }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double aik = a[i * n + k];
            double *crow = &c[i * n];
            const double *brow = &b[k * n];
            for (int j = 0; j < n; j++)
                crow[j] += aik * brow[j];
        }
    uint32_t hash = MIX_SEED;
    for (int i = 0; i < n * n; i++)
        hash = mix_f64(hash, c[i]);
    return (int)hash;
}
