/* wc: count lines, words and bytes of each FILE (or of stdin without one), like POSIX wc.
 *
 *   jitwasm run --dir . examples/wc.wasm README.md
 *   printf 'a b\nc\n' | jitwasm run examples/wc.wasm
 *
 * Build: python examples/build.py (needs `pip install ziglang`). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct counts {
    long long lines, words, bytes;
};

static void count(FILE *f, struct counts *c) {
    static unsigned char buffer[65536];
    int in_word = 0;
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, f)) > 0) {
        c->bytes += n;
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = buffer[i];
            if (ch == '\n') c->lines++;
            if (isspace(ch)) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                c->words++;
            }
        }
    }
}

static void show(const struct counts *c, const char *name) {
    printf("%7lld %7lld %7lld%s%s\n", c->lines, c->words, c->bytes, name ? " " : "",
           name ? name : "");
}

int main(int argc, char **argv) {
    struct counts total = {0, 0, 0};
    int status = 0;
    if (argc < 2) {
        count(stdin, &total);
        show(&total, NULL);
        return ferror(stdin) ? 1 : 0;
    }
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        struct counts c = {0, 0, 0};
        count(f, &c);
        if (ferror(f)) {
            fprintf(stderr, "wc: %s: read error\n", argv[i]);
            status = 1;
        }
        fclose(f);
        show(&c, argv[i]);
        total.lines += c.lines;
        total.words += c.words;
        total.bytes += c.bytes;
    }
    if (argc > 2) show(&total, "total");
    return status;
}
