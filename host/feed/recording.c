/* recording.c — recorded frame reader (see recording.h). */
#include "recording.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../core/decimal.h"

/* A plain recording is read straight into the buffer with read(2), so the bytes are copied once
 * (kernel to buffer) and frames are parsed where they lie; zlib would copy them twice (into its
 * own buffer, then ours) even for a file that is not compressed. Reads are 64 kB: a block is
 * parsed while it is still in the L2 cache (1 MB reads were no faster, within this machine's noise). */
#define TH_REC_BUF (1u << 18)
#define TH_REC_READ (1u << 16) /* per read: stays in L2 until parsed */

int th_recording_open(th_recording *r, const char *path, const char **err)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    snprintf(r->path, sizeof r->path, "%s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(r->error, sizeof r->error, "cannot open recording %s: %s", path, strerror(errno));
        *err = r->error;
        return -1;
    }
    /* gzip is recognised by its magic bytes; whatever pread cannot look at (a pipe) goes through
     * zlib, which reads plain and gzip data alike. */
    unsigned char magic[2];
    if (pread(fd, magic, 2, 0) == 2 && !(magic[0] == 0x1f && magic[1] == 0x8b)) {
        r->fd = fd;
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    } else {
        gzFile f = gzdopen(fd, "rb");
        if (!f) {
            close(fd);
            snprintf(r->error, sizeof r->error, "cannot open recording %s: out of memory", path);
            *err = r->error;
            return -1;
        }
        gzbuffer(f, 1 << 17);
        r->gz = f;
    }
    r->cap = TH_REC_BUF;
    r->buf = malloc(r->cap);
    if (!r->buf) { th_recording_close(r); *err = "out of memory"; return -1; }
    return 0;
}

void th_recording_close(th_recording *r)
{
    if (r->gz) gzclose((gzFile)r->gz);
    if (r->fd >= 0) close(r->fd);
    free(r->buf);
    r->gz = NULL;
    r->fd = -1;
    r->buf = NULL;
}

/* "1633998512.0633569" -> ns, exactly (decimal converter at scale 9). */
static int parse_epoch(const char *s, size_t n, int64_t *ns) { return th_dec_parse(s, n, 9, ns) == 0 ? 0 : -1; }

int th_recording_parse_line(char *line, size_t len, th_record *out)
{
    memset(out, 0, sizeof *out);
    if (len == 0) return -1;
    char *sp = memchr(line, ' ', len);
    if (!sp) return -1;
    size_t first = (size_t)(sp - line);
    /* ours: "<digits> <frame>" (read and converted in one walk: it is every line's prefix) */
    size_t k = 0;
    uint64_t stamp = 0;
#if TH_DEC_SWAR
    uint64_t c0, c1; /* a ns stamp has 19 digits: the first 16 eight at a time */
    if (first >= 16 && (memcpy(&c0, line, 8), memcpy(&c1, line + 8, 8), th_dec_eight_digits(c0) && th_dec_eight_digits(c1))) {
        stamp = th_dec_eight_value(c0) * 100000000u + th_dec_eight_value(c1);
        k = 16;
    }
#endif
    for (; k < first; k++) {
        unsigned d = (unsigned)(unsigned char)line[k] - '0';
        if (d > 9) break;
        stamp = stamp * 10 + d; /* wraps (unsigned) past 19 digits, which are refused below */
    }
    if (k == first && first >= 10) {
        /* ns since the epoch: 19 digits hold until 2262; more is not a time (and would overflow). */
        if (first > 19 || stamp > (uint64_t)INT64_MAX) return -1;
        out->kind = TH_REC_FRAME;
        out->ts_ns = (int64_t)stamp;
        out->data = sp + 1;
        out->len = len - first - 1;
        return 0;
    }
    /* cryptofeed frame: "<epoch>: <frame>" */
    if (first > 1 && line[first - 1] == ':' && parse_epoch(line, first - 1, &out->ts_ns) == 0) {
        out->kind = TH_REC_FRAME;
        out->data = sp + 1;
        out->len = len - first - 1;
        return 0;
    }
    /* "<url> <arrow> <epoch>[: <body>]" */
    char *arrow = sp + 1;
    char *sp2 = memchr(arrow, ' ', len - first - 1);
    if (!sp2) return -1;
    size_t alen = (size_t)(sp2 - arrow);
    th_record_kind kind;
    if (alen == 3 && memcmp(arrow, "<->", 3) == 0) kind = TH_REC_OPEN;
    else if (alen == 2 && memcmp(arrow, "<-", 2) == 0) kind = TH_REC_SENT;
    else if (alen == 2 && memcmp(arrow, "->", 2) == 0) kind = TH_REC_REST;
    else return -1;
    char *ts = sp2 + 1;
    size_t rest = len - (size_t)(ts - line);
    char *colon = memchr(ts, ':', rest);
    size_t tslen = colon ? (size_t)(colon - ts) : rest;
    if (parse_epoch(ts, tslen, &out->ts_ns) != 0) return -1;
    out->kind = kind;
    out->url = line;
    out->url_len = first;
    if (colon && kind != TH_REC_OPEN) {
        out->data = colon + 1;
        out->len = rest - tslen - 1;
        if (out->len && out->data[0] == ' ') { out->data++; out->len--; }
    }
    return 0;
}

/* Reads into buf[end, cap - 1): bytes read, 0 at the end, -1 on error. */
static long fill(th_recording *r)
{
    size_t room = r->cap - 1 - r->end;
    if (room > TH_REC_READ) room = TH_REC_READ;
    if (r->gz) return gzread((gzFile)r->gz, r->buf + r->end, (unsigned)(room > (1u << 30) ? 1u << 30 : room));
    for (;;) {
        ssize_t got = read(r->fd, r->buf + r->end, room);
        if (got >= 0 || errno != EINTR) return (long)got;
    }
}

/* The next line into [*line, *len) (its newline replaced by NUL), read in large blocks and split
 * with memchr, never with gzgets + strlen: a NUL byte inside a line (binary garbage, a torn write) must
 * end nothing but that line, or the next valid line is swallowed and line numbers shift.
 * 1: a line; 0: end of file; -1: read error or out of memory. */
static int next_line(th_recording *r, char **line, size_t *len)
{
    size_t scanned = r->pos;
    for (;;) {
        char *nl = memchr(r->buf + scanned, '\n', r->end - scanned);
        if (nl) {
            *line = r->buf + r->pos;
            *len = (size_t)(nl - *line);
            *nl = 0;
            r->pos = (size_t)(nl - r->buf) + 1;
            return 1;
        }
        if (r->eof) {
            if (r->pos == r->end) return 0;
            *line = r->buf + r->pos; /* a last line with no newline */
            *len = r->end - r->pos;
            r->buf[r->end] = 0;      /* room kept: end < cap */
            r->pos = r->end;
            return 1;
        }
        /* Keep the unread part at the front, grow when one line fills the buffer. */
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->end - r->pos);
            r->end -= r->pos;
            r->pos = 0;
        }
        scanned = r->end;
        if (r->end + 1 >= r->cap) {
            size_t cap = r->cap * 2;
            char *b = realloc(r->buf, cap);
            if (!b) return -1;
            r->buf = b;
            r->cap = cap;
        }
        long got = fill(r);
        if (got < 0) return -1;
        if (got == 0) r->eof = true;
        r->end += (size_t)got;
    }
}

int th_recording_next(th_recording *r, th_record *out)
{
    for (;;) {
        char *line;
        size_t len;
        int rc = next_line(r, &line, &len);
        if (rc <= 0) return rc;
        while (len > 0 && line[len - 1] == '\r') line[--len] = 0;
        r->line_no++;
        if (len == 0) continue;
        if (th_recording_parse_line(line, len, out) == 0) { r->records++; return 1; }
        r->bad_lines++;
    }
}
