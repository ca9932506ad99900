/* journal.c — append-only journal with CRC-framed records and group commit (see journal.h). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crc32.h"

#include "file_read.h"


static const char *const TYPE_NAMES[TH_J_TYPE_MAX] = {
    "?", "session", "intent", "ack", "reject", "cancel_req", "cancelled", "expired", "fill", "missing",
    "adopt", "amend_req", "amended", "kill", "rearm", "order", "position", "close", "seen", "store",
};

const char *th_jtype_name(int32_t t) { return t > 0 && t < TH_J_TYPE_MAX ? TYPE_NAMES[t] : "?"; }

/* Field ids: integers are 8 bytes, money 8 (when it fits) or 16, strings up to 255. Id 0 is never
 * written. F_DEC packs price_dec << 8 | qty_dec. */
enum { F_SIDE = 1, F_CODE, F_REASON, F_PRICE, F_QTY, F_FILLED, F_FEE, F_COST, F_REALISED, F_NOTIONAL,
       F_CREATED, F_SEQ, F_AMEND_PRICE, F_AMEND_QTY, F_DEC = 20, F_DAY, F_DAY_REALISED, F_DAY_FEES, F_DAY_UNREAL,
       F_CL = 32, F_EX, F_SYMBOL, F_TRADE, F_TAG, F_TEXT, F_STRATEGY,
       F_LONG = 48, F_BLOB = F_LONG /* ids from F_LONG up: a 2-byte length */ };

static bool is_money(uint8_t id)
{
    return id == F_FEE || id == F_COST || id == F_REALISED || id == F_NOTIONAL || id == F_DAY_REALISED ||
           id == F_DAY_FEES || id == F_DAY_UNREAL;
}

static void put_u32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void put_i64(uint8_t *p, int64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}
static int64_t get_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

typedef struct wbuf { uint8_t *p; size_t n, cap; bool over; } wbuf;

static void w_bytes(wbuf *w, const void *b, size_t n)
{
    if (w->n + n > w->cap) { w->over = true; return; }
    memcpy(w->p + w->n, b, n);
    w->n += n;
}
static void w_int(wbuf *w, uint8_t id, int64_t v)
{
    if (!v) return; /* absent means zero */
    uint8_t b[10] = {id, 8};
    put_i64(b + 2, v);
    w_bytes(w, b, 10);
}
static void w_money(wbuf *w, uint8_t id, th_money v)
{
    if (v >= INT64_MIN && v <= INT64_MAX) { w_int(w, id, (int64_t)v); return; }
    uint8_t b[18] = {id, 16};
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 0; i < 16; i++) b[2 + i] = (uint8_t)(u >> (8 * i));
    w_bytes(w, b, 18);
}
static th_money get_money(const uint8_t *p, size_t n)
{
    unsigned __int128 u = 0;
    for (size_t i = 0; i < n; i++) u |= (unsigned __int128)p[i] << (8 * i);
    if (n < 16 && (p[n - 1] & 0x80)) u |= ~(unsigned __int128)0 << (8 * n); /* sign-extend */
    return (th_money)u;
}
static void w_str(wbuf *w, uint8_t id, const char *s)
{
    size_t n = strlen(s);
    if (!n) return;
    if (n > 255) n = 255;
    uint8_t h[2] = {id, (uint8_t)n};
    w_bytes(w, h, 2);
    w_bytes(w, s, n);
}

static void w_blob(wbuf *w, uint8_t id, const uint8_t *b, int32_t n)
{
    if (n <= 0) return;
    if (n > 0xFFFF) { w->over = true; return; }
    uint8_t h[3] = {id, (uint8_t)n, (uint8_t)(n >> 8)};
    w_bytes(w, h, 3);
    w_bytes(w, b, (size_t)n);
}

int th_jrec_encode(const th_jrec *r, uint8_t *out, size_t cap)
{
    wbuf w = {out, 0, cap, false};
    uint8_t t = (uint8_t)r->type;
    w_bytes(&w, &t, 1);
    uint8_t ts[8];
    put_i64(ts, r->ts_ns);
    w_bytes(&w, ts, 8);
    w_int(&w, F_SIDE, r->side);
    w_int(&w, F_CODE, r->code);
    w_int(&w, F_REASON, r->reason);
    w_int(&w, F_PRICE, r->price);
    w_int(&w, F_QTY, r->qty);
    w_int(&w, F_FILLED, r->filled);
    w_money(&w, F_FEE, r->fee);
    w_money(&w, F_COST, r->cost);
    w_money(&w, F_REALISED, r->realised);
    w_money(&w, F_NOTIONAL, r->notional);
    w_int(&w, F_CREATED, r->created_ns);
    w_int(&w, F_SEQ, r->seq);
    w_int(&w, F_DEC, (int64_t)r->price_dec << 8 | r->qty_dec);
    w_int(&w, F_DAY, r->day);
    w_money(&w, F_DAY_REALISED, r->day_realised);
    w_money(&w, F_DAY_FEES, r->day_fees);
    w_money(&w, F_DAY_UNREAL, r->day_unrealised);
    w_int(&w, F_AMEND_PRICE, r->amend_price);
    w_int(&w, F_AMEND_QTY, r->amend_qty);
    w_str(&w, F_CL, r->cl_id);
    w_str(&w, F_EX, r->ex_id);
    w_str(&w, F_SYMBOL, r->symbol);
    w_str(&w, F_TRADE, r->trade_id);
    w_str(&w, F_TAG, r->tag);
    w_str(&w, F_TEXT, r->text);
    w_str(&w, F_STRATEGY, r->strategy);
    w_blob(&w, F_BLOB, r->blob, r->blob_len);
    return w.over ? -1 : (int)w.n;
}

static int copy_str(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    if (n >= cap) return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

int th_jrec_decode(const uint8_t *b, size_t n, th_jrec *r)
{
    memset(r, 0, sizeof *r);
    if (n < 9) return -1;
    r->type = b[0];
    if (r->type <= 0 || r->type >= TH_J_TYPE_MAX) return -1;
    r->ts_ns = get_i64(b + 1);
    size_t i = 9;
    while (i < n) {
        if (i + 2 > n) return -1;
        uint8_t id = b[i];
        if (id >= F_LONG) {
            if (i + 3 > n) return -1;
            size_t ln = (size_t)b[i + 1] | (size_t)b[i + 2] << 8;
            if (i + 3 + ln > n || id != F_BLOB) return -1;
            r->blob = b + i + 3;
            r->blob_len = (int32_t)ln;
            i += 3 + ln;
            continue;
        }
        uint8_t len = b[i + 1];
        const uint8_t *v = b + i + 2;
        if (i + 2 + len > n) return -1;
        i += 2 + (size_t)len;
        if (id < F_CL && is_money(id)) {
            if (len != 8 && len != 16) return -1;
            th_money m = get_money(v, len);
            switch (id) {
            case F_FEE: r->fee = m; break;
            case F_COST: r->cost = m; break;
            case F_REALISED: r->realised = m; break;
            case F_NOTIONAL: r->notional = m; break;
            case F_DAY_REALISED: r->day_realised = m; break;
            case F_DAY_FEES: r->day_fees = m; break;
            default: r->day_unrealised = m; break;
            }
            continue;
        }
        if (id < F_CL) {
            if (len != 8) return -1;
            int64_t x = get_i64(v);
            switch (id) {
            case F_SIDE: r->side = (int32_t)x; break;
            case F_CODE: r->code = (int32_t)x; break;
            case F_REASON: r->reason = (int32_t)x; break;
            case F_PRICE: r->price = x; break;
            case F_QTY: r->qty = x; break;
            case F_FILLED: r->filled = x; break;
            case F_CREATED: r->created_ns = x; break;
            case F_SEQ: r->seq = x; break;
            case F_DEC: r->price_dec = (int32_t)(x >> 8 & 0xff); r->qty_dec = (int32_t)(x & 0xff); break;
            case F_DAY: r->day = x; break;
            case F_AMEND_PRICE: r->amend_price = x; break;
            case F_AMEND_QTY: r->amend_qty = x; break;
            default: return -1;
            }
            continue;
        }
        int rc;
        switch (id) {
        case F_CL: rc = copy_str(r->cl_id, sizeof r->cl_id, v, len); break;
        case F_EX: rc = copy_str(r->ex_id, sizeof r->ex_id, v, len); break;
        case F_SYMBOL: rc = copy_str(r->symbol, sizeof r->symbol, v, len); break;
        case F_TRADE: rc = copy_str(r->trade_id, sizeof r->trade_id, v, len); break;
        case F_TAG: rc = copy_str(r->tag, sizeof r->tag, v, len); break;
        case F_TEXT: rc = copy_str(r->text, sizeof r->text, v, len); break;
        case F_STRATEGY: rc = copy_str(r->strategy, sizeof r->strategy, v, len); break;
        default: rc = -1;
        }
        if (rc) return -1;
    }
    return 0;
}

int th_journal_open(th_journal *j, const char *path, bool sync, const char **err)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->sync = sync;
    j->crash_at = -1;
    snprintf(j->path, sizeof j->path, "%s", path);
    const char *hook = getenv("TH_JOURNAL_CRASH_AT");
    if (hook && *hook) j->crash_at = strtoll(hook, NULL, 10);
    j->fail_at = -1;
    hook = getenv("TH_JOURNAL_FAIL_AT");
    if (hook && *hook) j->fail_at = strtoll(hook, NULL, 10);
    hook = getenv("TH_JOURNAL_SYNC_DELAY_MS");
    if (hook && *hook) j->sync_delay_ms = (int32_t)strtol(hook, NULL, 10);
    j->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        int e = errno;
        snprintf(j->error, sizeof j->error, "cannot create the journal file %s: %s", path,
                 e == EEXIST ? "it already exists (a journal is never appended to by a second session)" : strerror(e));
        *err = j->error;
        return -1;
    }
    j->cap = j->spare_cap = 64 * 1024;
    j->buf = malloc(j->cap);
    j->spare = malloc(j->spare_cap); /* the second buffer: appends go on while a batch is written */
    if (!j->buf || !j->spare) {
        close(j->fd);
        j->fd = -1;
        free(j->buf);
        free(j->spare);
        j->buf = j->spare = NULL;
        *err = "out of memory";
        return -1;
    }
    return 0;
}

int th_journal_create(th_journal *j, const char *path, bool sync, const char **err)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    if (th_journal_open(j, tmp, sync, err) != 0) return -1;
    snprintf(j->final_path, sizeof j->final_path, "%s", path);
    return 0;
}

static int publish_error(th_journal *j, const char *what, const char *path, const char **err)
{
    snprintf(j->error, sizeof j->error, "%s: %s: %s", what, path, strerror(errno));
    *err = j->error;
    return -1;
}

int th_journal_publish(th_journal *j, const char **err)
{
    if (!j->final_path[0]) return 0;
    if (th_journal_commit(j, err) != 0) return -1;
    if (fsync(j->fd) != 0) return publish_error(j, "journal fsync failed", j->path, err);
    if (rename(j->path, j->final_path) != 0) return publish_error(j, "cannot rename the new journal", j->path, err);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", j->final_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        publish_error(j, "cannot sync the journal directory", dir, err);
        if (dfd >= 0) close(dfd);
        rename(j->final_path, j->path); /* not durable: put it back out of the way */
        return -1;
    }
    close(dfd);
    snprintf(j->path, sizeof j->path, "%s", j->final_path);
    j->final_path[0] = 0;
    return 0;
}

void th_journal_discard(th_journal *j)
{
    if (j->final_path[0] && j->fd >= 0) unlink(j->path);
    th_journal_close(j);
}

void th_journal_close(th_journal *j)
{
    if (j->fd >= 0) close(j->fd);
    free(j->buf);
    free(j->spare);
    j->buf = j->spare = NULL;
    j->fd = -1;
}

int th_journal_commit(th_journal *j, const char **err);

int th_journal_append(th_journal *j, const th_jrec *r)
{
    uint8_t body[1024];
    int n = th_jrec_encode(r, body, sizeof body);
    if (n < 0) {
        snprintf(j->error, sizeof j->error, "journal record %s does not encode (a field is too long)", th_jtype_name(r->type));
        return -1;
    }
    if (j->len + 8 + (size_t)n > j->cap) {
        size_t cap = j->cap * 2;
        while (j->len + 8 + (size_t)n > cap) cap *= 2;
        char *b = realloc(j->buf, cap);
        if (!b) { snprintf(j->error, sizeof j->error, "journal buffer: out of memory (%zu bytes)", cap); return -1; }
        j->buf = b;
        j->cap = cap;
    }
    uint8_t *p = (uint8_t *)j->buf + j->len;
    put_u32(p, (uint32_t)n);
    put_u32(p + 4, th_crc32(body, n));
    memcpy(p + 8, body, (size_t)n);
    j->len += 8 + (size_t)n;
    j->records++;
    j->pending_records++;
    if (j->commit_each) {
        const char *err;
        return th_journal_commit(j, &err);
    }
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The step that failed, the file and the system's reason: "disk full" and "I/O error" call for
 * different actions from the operator. */
static int write_error(const th_journal *j, th_jbatch *b, const char *what, const char **err)
{
    int e = errno;
    snprintf(b->error, sizeof b->error, "%s: %s: %s", what, j->path, strerror(e));
    *err = b->error;
    return -1;
}

int th_journal_seal(th_journal *j, th_jbatch *b)
{
    if (!j->len || j->sealed) return 0;
    *b = (th_jbatch){.buf = j->buf, .len = j->len, .cap = j->cap, .offset = j->offset, .records = j->pending_records};
    j->buf = j->spare;
    j->cap = j->spare_cap;
    j->spare = NULL;
    j->spare_cap = 0;
    j->len = 0;
    j->pending_records = 0;
    j->sealed = true;
    return 1;
}

int th_journal_write(const th_journal *j, th_jbatch *b, const char **err)
{
    if (j->fd < 0) { *err = "journal is closed"; return -1; }
    if (j->broken) { *err = "journal failed earlier"; return -1; }
    if (j->crash_at >= 0 && b->offset + b->len > (uint64_t)j->crash_at) {
        size_t part = (size_t)((uint64_t)j->crash_at - b->offset);
        (void)write_all(j->fd, b->buf, part);
        (void)fdatasync(j->fd);
        abort(); /* test hook: a crash with this many bytes on disk */
    }
    if (j->fail_at >= 0 && b->offset + b->len > (uint64_t)j->fail_at) {
        size_t part = b->offset < (uint64_t)j->fail_at ? (size_t)((uint64_t)j->fail_at - b->offset) : 0;
        (void)write_all(j->fd, b->buf, part);
        errno = ENOSPC; /* test hook: the disk is full at this byte */
        return write_error(j, b, "journal write failed", err);
    }
    if (write_all(j->fd, b->buf, b->len) != 0) return write_error(j, b, "journal write failed", err);
    if (j->sync && fdatasync(j->fd) != 0) return write_error(j, b, "journal fdatasync failed", err);
    if (j->sync_delay_ms > 0) usleep((useconds_t)j->sync_delay_ms * 1000); /* test hook: a slow disk */
    return 0;
}

void th_journal_done(th_journal *j, th_jbatch *b, int rc)
{
    if (rc == 0) {
        j->offset += b->len;
        j->commits++;
    } else {
        j->broken = true;
        if (b->error[0]) snprintf(j->error, sizeof j->error, "%s", b->error);
    }
    j->spare = b->buf;
    j->spare_cap = b->cap;
    j->sealed = false;
    *b = (th_jbatch){0};
}

int th_journal_commit(th_journal *j, const char **err)
{
    if (!j->len) return 0;
    if (j->sealed) { *err = "a journal batch is still being written"; return -1; }
    if (j->broken) { *err = "journal failed earlier"; return -1; }
    th_jbatch b;
    th_journal_seal(j, &b);
    const char *e = NULL;
    int rc = th_journal_write(j, &b, &e);
    bool in_batch = e == b.error;
    th_journal_done(j, &b, rc);
    if (rc) *err = in_batch ? j->error : e;
    return rc;
}

/* A whole record at off that passes every check (length in range, CRC, decode): its body length,
 * or 0. The shortest body is a type and a time (9 bytes), so zeros never pass. */
static size_t record_at(const uint8_t *b, size_t n, size_t off, th_jrec *r)
{
    if (n - off < 8) return 0;
    size_t len = get_u32(b + off);
    if (len < 9 || len > 1024 || n - off - 8 < len) return 0;
    if (th_crc32(b + off + 8, len) != get_u32(b + off + 4)) return 0;
    if (th_jrec_decode(b + off + 8, len, r) != 0) return 0;
    return len;
}

int th_journal_read(const char *path, th_journal_fn fn, void *ctx, th_journal_scan *scan, const char **err)
{
    memset(scan, 0, sizeof *scan);
    size_t n;
    char *data;
    if (th_read_file(path, &data, &n, err) != 0) return -1; /* the one whole-file reader (instruments use it too) */
    const uint8_t *b = (const uint8_t *)data;
    size_t off = 0;
    int rc = 0;
    while (off < n) {
        th_jrec r;
        size_t len = record_at(b, n, off, &r);
        if (!len) {
            scan->bad_offset = off;
            /* Torn tail or corruption? A crash cuts only the last record (or leaves zeros or garbage
             * where it would have been), so a valid record anywhere after the bad one means the
             * damage is in the middle. The bad record's own length cannot say where the next one
             * starts (it may be the damaged field), so every later offset is tried; a chance match
             * of length, CRC-32 and decode is about 2^-32 per offset, and a false match refuses to
             * start (the safe side), never drops records silently. */
            th_jrec next;
            size_t k = off + 1;
            while (k < n && !record_at(b, n, k, &next)) k++;
            if (k >= n) scan->torn_tail = true;
            else {
                scan->corrupt = true;
                scan->next_good = k;
                *err = "a damaged journal record with valid records after it (corruption, not a torn tail)";
                rc = -1;
            }
            break;
        }
        if (fn && fn(ctx, &r) != 0) { *err = "journal record could not be applied"; rc = -1; break; }
        scan->records++;
        off += 8 + len;
        scan->bytes_ok = off;
    }
    free(data);
    return rc;
}
