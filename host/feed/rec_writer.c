/* rec_writer.c — a recording written as feed/recording.c reads it (see rec_writer.h). */
#include "rec_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT (1u << 20)

int th_rec_writer_open(th_rec_writer *w, const char *path, const char **err)
{
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(w->error, sizeof w->error, "%s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (a recording is never overwritten: choose another --out)" : "");
        *err = w->error;
        return -1;
    }
    w->cap = 2 * FLUSH_AT;
    w->buf = malloc(w->cap);
    if (!w->buf) { close(w->fd); w->fd = -1; *err = "out of memory"; return -1; }
    return 0;
}

static bool reserve(th_rec_writer *w, size_t more)
{
    if (w->n + more <= w->cap) return true;
    size_t cap = w->cap;
    while (cap < w->n + more) cap *= 2;
    char *b = realloc(w->buf, cap);
    if (!b) { w->failed = true; snprintf(w->error, sizeof w->error, "out of memory for a %zu-byte record", more); return false; }
    w->buf = b;
    w->cap = cap;
    return true;
}

/* text with CR/LF as spaces (URLs: spaces as %20) */
static void put_text(th_rec_writer *w, const char *t, size_t len, bool url)
{
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (url && c == ' ') { memcpy(w->buf + w->n, "%20", 3); w->n += 3; continue; }
        w->buf[w->n++] = c == '\n' || c == '\r' ? ' ' : c;
    }
}

static void put_epoch(th_rec_writer *w, int64_t ts_ns)
{
    w->n += (size_t)snprintf(w->buf + w->n, 32, "%lld.%09lld", (long long)(ts_ns / 1000000000), (long long)(ts_ns % 1000000000));
}

static void line_done(th_rec_writer *w)
{
    w->buf[w->n++] = '\n';
    w->lines++;
    if (w->n >= FLUSH_AT) th_rec_writer_flush(w);
}

void th_rec_writer_frame(th_rec_writer *w, int64_t ts_ns, const char *text, size_t len)
{
    if (w->failed || w->fd < 0 || !reserve(w, len + 32)) return;
    w->n += (size_t)snprintf(w->buf + w->n, 32, "%lld ", (long long)ts_ns);
    put_text(w, text, len, false);
    w->frames++;
    line_done(w);
}

void th_rec_writer_tagged(th_rec_writer *w, th_rec_line kind, const char *url, size_t url_len, int64_t ts_ns, const char *text,
                          size_t len)
{
    if (w->failed || w->fd < 0 || !reserve(w, 3 * url_len + len + 48)) return;
    put_text(w, url, url_len, true);
    memcpy(w->buf + w->n, kind == TH_REC_LINE_OPEN ? " <-> " : kind == TH_REC_LINE_SENT ? " <- " : " -> ",
           kind == TH_REC_LINE_OPEN ? 5 : 4);
    w->n += kind == TH_REC_LINE_OPEN ? 5 : 4;
    put_epoch(w, ts_ns);
    if (kind != TH_REC_LINE_OPEN) {
        memcpy(w->buf + w->n, ": ", 2);
        w->n += 2;
        put_text(w, text, len, false);
    }
    if (kind == TH_REC_LINE_OPEN) w->opens++;
    else if (kind == TH_REC_LINE_SENT) w->sent++;
    else w->rest++;
    line_done(w);
}

int th_rec_writer_flush(th_rec_writer *w)
{
    if (w->fd < 0) return -1;
    size_t off = 0;
    while (!w->failed && off < w->n) {
        ssize_t k = write(w->fd, w->buf + off, w->n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            w->failed = true;
            snprintf(w->error, sizeof w->error, "%s: write: %s", w->path, k < 0 ? strerror(errno) : "no progress");
            break;
        }
        off += (size_t)k;
    }
    if (w->failed) {
        /* back to the last complete line: a reader never meets half a record */
        if (ftruncate(w->fd, (off_t)w->written) != 0) { /* the error already names the write */ }
        w->n = 0;
        return -1;
    }
    w->written += (int64_t)w->n;
    w->n = 0;
    return 0;
}

bool th_rec_writer_failed(const th_rec_writer *w) { return w->failed; }

int th_rec_writer_close(th_rec_writer *w)
{
    if (w->fd < 0) { free(w->buf); w->buf = NULL; return w->failed ? -1 : 0; }
    int rc = th_rec_writer_flush(w);
    if (rc == 0 && fsync(w->fd) != 0) {
        snprintf(w->error, sizeof w->error, "%s: fsync: %s", w->path, strerror(errno));
        w->failed = true;
        rc = -1;
    }
    if (close(w->fd) != 0 && rc == 0) {
        snprintf(w->error, sizeof w->error, "%s: close: %s", w->path, strerror(errno));
        w->failed = true;
        rc = -1;
    }
    w->fd = -1;
    free(w->buf);
    w->buf = NULL;
    return rc;
}
