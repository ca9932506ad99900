/* journal_tail.h — reading a journal while its host writes it: from an offset, the complete and
 * valid records written since, stopping before a record still being written (retried next time).
 *
 * Why: the stores that mirror a session (the Redis mirror) are projections of the journal, the
 * source of truth: they follow the file as it grows, and after an outage they read it again from
 * the start, so whatever they missed is still there and nothing is made up. The committer writes
 * the file from libuv's thread pool; a record that does not fit yet, or whose CRC does not match
 * yet (half written), ends this read and is read again later. Plain C, no loop. */
#ifndef TH_JOURNAL_TAIL_H
#define TH_JOURNAL_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"

typedef struct th_journal_tail {
    int fd;
    uint64_t off;         /* file offset of the first byte not yet handed out */
    uint8_t *buf;         /* bytes [off, off + n) of the file */
    size_t n, cap;
    uint64_t records;
} th_journal_tail;

/* 0, or -1 with *err. */
int th_journal_tail_open(th_journal_tail *t, const char *path, const char **err);
/* The next records (at most max), each through fn (a non-zero return stops, that record counted as
 * read). Returns how many were read, or -1 on a read error. */
int th_journal_tail_read(th_journal_tail *t, int max, th_journal_fn fn, void *ctx);
/* Back to the start of the file (a full replay). */
void th_journal_tail_rewind(th_journal_tail *t);
void th_journal_tail_close(th_journal_tail *t);

#endif
