/* file_read.c — whole-file reads (see file_read.h). */
#include "file_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int th_read_file(const char *path, char **out, size_t *len, const char **err)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) { *err = errno ? strerror(errno) : "cannot open file"; return -1; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) { gzclose(f); *err = "out of memory"; return -1; }
        int got = gzread(f, buf + n, (unsigned)(cap - n));
        if (got < 0) { free(buf); gzclose(f); *err = "read error"; return -1; }
        n += (size_t)got;
        if (got == 0) break;
        if (n == cap) {
            cap *= 2;
            char *b = realloc(buf, cap + 1);
            if (!b) { free(buf); buf = NULL; continue; }
            buf = b;
        }
    }
    gzclose(f);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}
