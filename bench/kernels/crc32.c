/* crc32: table-driven CRC-32 (IEEE, as zlib) over n KiB of data that cycles through a 256 KiB
 * pseudo-random buffer, i.e. zlib.crc32((buffer * k)[:n * 1024]).  Byte loads, table lookups,
 * shifts and xors. */
#include "common.h"

#define BUF_LEN (256 * 1024)

static uint8_t buffer[BUF_LEN];
static uint32_t table[256];

static void make_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

int run(int n) {
    uint32_t remaining = n > 0 ? (uint32_t)n * 1024 : 0;
    make_table();
    fill_random(buffer, remaining < BUF_LEN ? remaining : BUF_LEN, 0xc0ffee11u);
    uint32_t crc = 0xffffffffu;
    while (remaining > 0) {
        uint32_t chunk = remaining < BUF_LEN ? remaining : BUF_LEN;
        for (uint32_t i = 0; i < chunk; i++)
            crc = table[(crc ^ buffer[i]) & 0xff] ^ (crc >> 8);
        remaining -= chunk;
    }
    return (int)(crc ^ 0xffffffffu);
}
