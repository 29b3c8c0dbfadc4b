/* A large, realistic WASI module for compile-speed measurements: main() takes the address of
 * ~150 libc functions (stdio formatting and scanning, strtod, regex, time, libm, wide chars,
 * search trees, locale), so wasi-libc links them all in: 408 function bodies, 193 KB of code.
 * Build: python bench/large/build.py (zig cc, wasm32-wasi, -O2). Run: it prints how many
 * functions it referenced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <regex.h>
#include <wchar.h>
#include <ctype.h>
#include <locale.h>
#include <fnmatch.h>
#include <glob.h>
#include <search.h>
#include <inttypes.h>
#include <complex.h>
#include <stdint.h>
typedef void (*fp)(void);
#define F(x) (fp)(x),
volatile fp table[] = {
F(printf) F(sprintf) F(snprintf) F(fprintf) F(vfprintf) F(sscanf) F(fscanf) F(scanf) F(strtod) F(strtof) F(strtold)
F(strtol) F(strtoul) F(strtoll) F(strtoull) F(atof) F(qsort) F(bsearch) F(regcomp) F(regexec) F(regfree) F(regerror)
F(strftime) F(strptime) F(mktime) F(gmtime) F(localtime) F(asctime) F(ctime) F(difftime)
F(sin) F(cos) F(tan) F(asin) F(acos) F(atan) F(atan2) F(sinh) F(cosh) F(tanh) F(asinh) F(acosh) F(atanh)
F(exp) F(exp2) F(expm1) F(log) F(log2) F(log10) F(log1p) F(pow) F(sqrt) F(cbrt) F(hypot) F(erf) F(erfc) F(tgamma) F(lgamma)
F(sinf) F(cosf) F(tanf) F(expf) F(logf) F(powf) F(fmod) F(remainder) F(remquo) F(fma) F(frexp) F(ldexp) F(modf) F(nextafter)
F(sinl) F(cosl) F(expl) F(logl) F(powl) F(sqrtl) F(j0) F(j1) F(jn) F(y0) F(y1) F(yn)
F(wcstod) F(wcstol) F(wcsftime) F(mbstowcs) F(wcstombs) F(mbrtowc) F(wcrtomb) F(swprintf) F(vswprintf) F(swscanf) F(fwprintf)
F(fnmatch) F(hsearch) F(hcreate) F(tsearch) F(tfind) F(tdelete) F(twalk) F(lsearch) F(lfind) F(insque) F(remque)
F(strtoimax) F(strtoumax) F(setlocale) F(localeconv) F(strcoll) F(strxfrm) F(wcscoll) F(wcsxfrm)
F(csin) F(ccos) F(cexp) F(clog) F(cpow) F(csqrt) F(catan) F(casin) F(cacos) F(ctan) F(csinh) F(ccosh) F(ctanh)
F(strsignal) F(strerror) F(perror) F(getdelim) F(open_memstream) F(fmemopen) F(setvbuf) F(ungetc)
F(a64l) F(l64a) F(drand48) F(erand48) F(lrand48) F(random) F(srandom) F(initstate)
F(glob) F(globfree)
};
int main(int argc, char **argv) {
    unsigned long s = 0;
    for (unsigned i = 0; i < sizeof table / sizeof *table; i++) s += (unsigned long)table[i];
    printf("%d functions %lu\n", (int)(sizeof table / sizeof *table), s % 7);
    return 0;
}
