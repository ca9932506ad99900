/* journal.h — the append-only order journal: the embedded default store and the source of truth
 * for recovery.
 *
 * Every order intent is appended before it is sent, and every ack, fill, cancel and state change
 * after it. A record on disk is
 *     u32 length | u32 crc32(body) | body[length]      (little-endian)
 * where body is a type byte, the time, and tagged fields (id byte, length byte, bytes: integers are
 * 8 bytes little-endian, money 8 or 16, strings up to 255), so a reader
 * can tell a torn tail (a damaged final record: a crash while writing, ignored) from corruption (a
 * damaged record with valid records after it, found by trying every later offset: refused, because
 * the state after it is unknown).
 * Group commit: appends go to a memory buffer, and a commit writes the buffer and syncs once
 * (fdatasync) — the order flow commits once per loop turn that has records, and sends the turn's
 * orders only after the commit is durable. A commit is three steps so that the slow middle one can
 * run off the loop thread: th_journal_seal hands the buffered records over as a batch (appends go
 * on into a second buffer), th_journal_write writes and syncs a batch (it touches only the file
 * and the batch, so any thread may run it), th_journal_done takes the batch back on the owner's
 * thread. At most one batch is out at a time, so batches reach the file in order.
 * th_journal_commit runs the three in a row. Sync can be turned off (sync = "none") for backtests.
 * Test hooks: TH_JOURNAL_CRASH_AT=<byte offset> writes the file up to that byte and aborts, so
 * crash tests can cut a record anywhere; TH_JOURNAL_FAIL_AT=<byte offset> writes up to that byte
 * and fails the write with ENOSPC, as a full disk does; TH_JOURNAL_SYNC_DELAY_MS=<ms> sleeps that long in each
 * write, a slow disk for the tests of the loop's commit path. */
#ifndef TH_JOURNAL_H
#define TH_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"

typedef enum th_jtype {
    TH_J_SESSION = 1,     /* text: client id prefix; code: format version; created_ns: last fill time carried over */
    TH_J_INTENT,          /* cl_id symbol side price qty tag code(flags: TH_ORDER_POST_ONLY, TH_J_INTENT_QUOTE) */
    TH_J_ACK,             /* cl_id ex_id */
    TH_J_REJECT,          /* cl_id text */
    TH_J_CANCEL_REQ,      /* cl_id */
    TH_J_CANCELLED,       /* cl_id */
    TH_J_EXPIRED,         /* cl_id */
    TH_J_FILL,            /* cl_id trade_id price qty fee */
    TH_J_MISSING,         /* cl_id: the venue does not know it (resolved after a query) */
    TH_J_ADOPT,           /* ex_id symbol side price qty filled */
    TH_J_AMEND_REQ,       /* cl_id price qty */
    TH_J_AMENDED,         /* cl_id code(1 ok, 0 refused) */
    TH_J_KILL,            /* code text */
    TH_J_REARM,
    TH_J_ORDER,           /* carried over from the previous session: a whole order */
    TH_J_POSITION,        /* carried over, or a new trading day: symbol qty cost realised fees mark
                             fills, and the day's figures (day day_realised day_fees day_unrealised) */
    TH_J_CLOSE,           /* clean end of session */
    TH_J_SEEN,            /* carried over: text = one trade key ("client id|trade id") already counted */
    TH_J_STORE,           /* th.store (kv_store.h): strategy, text = key, blob = one chunk of the value,
                             seq = chunk index, qty = the value's length, code = last chunk | delete */
    TH_J_TYPE_MAX
} th_jtype;

typedef struct th_jrec {
    int32_t type;
    int32_t side;
    int32_t code;         /* flags, state, kill reason code... by type */
    int32_t reason;       /* done reason (TH_J_ORDER) */
    int32_t price_dec, qty_dec; /* the instrument's decimals (records naming a symbol), for readers */
    int64_t ts_ns;
    int64_t price, qty, filled;
    int64_t created_ns, seq;
    int64_t day;          /* TH_J_POSITION: the trading day of the day_* figures */
    /* money (money.h): notional units of the instrument's quote currency */
    th_money fee, cost, realised, notional, day_realised, day_fees, day_unrealised;
    int64_t amend_price, amend_qty; /* TH_J_ORDER: an amend in flight when the snapshot was taken */
    const uint8_t *blob;  /* TH_J_STORE: the chunk (writing: the caller's bytes; reading: the file's,
                           * valid during the read callback only); before cl_id, so the hot path's
                           * header-only memset clears it */
    int32_t blob_len;
    char cl_id[40], ex_id[48], symbol[32], trade_id[48], tag[16];
    char text[128];
    char strategy[64];    /* TH_J_STORE (a record built by hand past cl_id must clear it) */
} th_jrec;

/* Version 2: money fields (fee cost realised notional day_*) are 128-bit (th_money), written in 8
 * bytes when the value fits and 16 otherwise; decimals and the trading day ride along. Version 1
 * journals (all fields 8 bytes) read exactly; a newer version is refused by name.
 * Version 3: the opening snapshot also carries the last fill time (SESSION created_ns), the
 * trade-key window (SEEN records) and each live order's amend in flight (amend_price, amend_qty). */
/* Version 4: th.store records (TH_J_STORE), with the one field longer than 255 bytes (the value's
 * chunk, field ids from 48 up carry a 2-byte length). Older journals have none and read as before. */
/* Version 5: an intent's code carries TH_J_INTENT_QUOTE when the quote executor placed it (a
 * snapshot's flags carry TH_ORD_QUOTE). Older journals say nothing of owners: their orders are read
 * as the quotes' (as older hosts treated every order of a quoted pair), so none is left unmanaged. */
#define TH_JOURNAL_VERSION 5
#define TH_J_INTENT_QUOTE 2 /* beside TH_ORDER_POST_ONLY (1) in an intent's code */

/* Records sealed for one write: the buffer belongs to the batch until th_journal_done. */
typedef struct th_jbatch {
    char *buf;
    size_t len, cap;
    uint64_t offset;           /* where in the file the batch starts */
    uint64_t records;
    char error[640];           /* why its write failed (the writer's thread fills it, not j->error) */
} th_jbatch;

typedef struct th_journal {
    int fd;
    bool sync;
    bool commit_each;          /* fsync = "always": every record is committed as it is appended */
    bool sealed;               /* a batch is out (being written) */
    bool broken;               /* a write failed: part of a batch may be on disk, so nothing more
                                * may follow it (it would sit behind a torn record) */
    char *buf;
    size_t len, cap;
    char *spare;               /* the other buffer, while no batch is out */
    size_t spare_cap;
    int32_t sync_delay_ms;     /* test hook; 0 off */
    uint64_t offset;           /* bytes in the file */
    uint64_t records, commits, pending_records;
    int64_t crash_at;          /* test hook; -1 off */
    int64_t fail_at;           /* test hook (a full disk at this byte); -1 off */
    char path[512];
    char final_path[512];      /* th_journal_create: the name it gets once published ("" after) */
    char error[640];           /* why the last open, append or commit failed (path and errno included) */
} th_journal;

/* Creates (O_EXCL) a new journal file with mode 0600. */
int th_journal_open(th_journal *j, const char *path, bool sync, const char **err);
/* A session's journal, opened so that it becomes the one to recover from only once its opening
 * records are durable: th_journal_create opens <path>.new; th_journal_publish commits, fsyncs the
 * file, renames it to path and fsyncs the directory (whatever the sync setting: this is what the
 * next start reads); th_journal_discard (any failure before publishing) closes and removes it,
 * so the previous journal stays the newest. */
int th_journal_create(th_journal *j, const char *path, bool sync, const char **err);
int th_journal_publish(th_journal *j, const char **err);
void th_journal_discard(th_journal *j);
void th_journal_close(th_journal *j);
/* Buffer one record (no I/O unless commit_each). Returns -1 when the record does not encode, when
 * out of memory, or (commit_each) when its commit fails; j->error then says which. */
int th_journal_append(th_journal *j, const th_jrec *r);
/* Write and sync what is buffered. 0 on success (also when nothing is pending); on failure *err
 * (= j->error) names the step and the system's reason ("journal fdatasync failed: ..."). Not
 * while a batch is out. */
int th_journal_commit(th_journal *j, const char **err);
/* Seal what is buffered into *b: 1, or 0 when nothing is pending (or a batch is already out). */
int th_journal_seal(th_journal *j, th_jbatch *b);
/* Write and sync a sealed batch: 0, or -1 with *err (= b->error, naming the step, the file and
 * the system's reason). Reads only the journal's file descriptor and settings, which do not change
 * while a batch is out, and writes only the batch, so it may run on another thread. */
int th_journal_write(const th_journal *j, th_jbatch *b, const char **err);
/* Back on the owner's thread: count the batch (rc 0) and take its buffer back. A failed batch is
 * dropped, its error copied to j->error, and the journal takes no more commits (broken). */
void th_journal_done(th_journal *j, th_jbatch *b, int rc);
static inline bool th_journal_pending(const th_journal *j) { return j->len > 0; }

/* Encode one record (for tests and the reader's round trip); returns the bytes written or -1. */
int th_jrec_encode(const th_jrec *r, uint8_t *out, size_t cap);
int th_jrec_decode(const uint8_t *body, size_t n, th_jrec *r);

typedef struct th_journal_scan {
    uint64_t records, bytes_ok;
    bool torn_tail;            /* a cut record at the end (ignored) */
    bool corrupt;              /* a bad record with valid records after it */
    uint64_t bad_offset;       /* the first bad record */
    uint64_t next_good;        /* corrupt: where the first valid record after it starts */
} th_journal_scan;

typedef int (*th_journal_fn)(void *ctx, const th_jrec *r);
/* Read every good record in order; stops at a torn tail (returns 0, scan->torn_tail) or at
 * corruption (returns -1, scan->corrupt, *err). A callback returning non-zero stops with -1. */
int th_journal_read(const char *path, th_journal_fn fn, void *ctx, th_journal_scan *scan, const char **err);

const char *th_jtype_name(int32_t type);

#endif
