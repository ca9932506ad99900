/* journal_tail.c — the records a journal gained since the last read (see journal_tail.h). */
#include "journal_tail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32.h"

#define TAIL_CAP (256 * 1024)

static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int th_journal_tail_open(th_journal_tail *t, const char *path, const char **err)
{
    memset(t, 0, sizeof *t);
    t->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t->fd < 0) { *err = strerror(errno); return -1; }
    t->buf = malloc(TAIL_CAP);
    if (!t->buf) { close(t->fd); t->fd = -1; *err = "out of memory"; return -1; }
    t->cap = TAIL_CAP;
    return 0;
}

void th_journal_tail_rewind(th_journal_tail *t)
{
    t->off = 0;
    t->n = 0;
    t->records = 0;
}

int th_journal_tail_read(th_journal_tail *t, int max, th_journal_fn fn, void *ctx)
{
    if (t->fd < 0) return -1;
    if (t->n < t->cap) {
        ssize_t got = pread(t->fd, t->buf + t->n, t->cap - t->n, (off_t)(t->off + t->n));
        if (got < 0) return -1;
        t->n += (size_t)got;
    }
    size_t at = 0;
    int done = 0;
    while (done < max && t->n - at >= 8) {
        size_t len = get_u32(t->buf + at);
        if (len < 9 || len > 1024 || t->n - at - 8 < len) break;      /* not all there yet */
        if (th_crc32(t->buf + at + 8, len) != get_u32(t->buf + at + 4)) break; /* still being written */
        th_jrec r;
        if (th_jrec_decode(t->buf + at + 8, len, &r) != 0) break;
        at += 8 + len;
        done++;
        t->records++;
        if (fn(ctx, &r) != 0) break;
    }
    memmove(t->buf, t->buf + at, t->n - at);
    t->n -= at;
    t->off += at;
    return done;
}

void th_journal_tail_close(th_journal_tail *t)
{
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
    free(t->buf);
    t->buf = NULL;
}
