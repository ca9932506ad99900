/* trading_journal.h — the session's journal file: which directory, which previous journal to
 * recover from, what the new one is called, when it becomes the one to recover from, and the
 * failure marker a failed journal leaves for the next start.
 *
 * Why apart from trading.c: the journal file's rules (one host per directory, a paper account
 * starts fresh unless resumed, a damaged journal refuses the start, a new journal is published
 * only once its opening snapshot is durable) are the order side's start-up and end, not its
 * running; the record format and the directory primitives are the core's (journal.h,
 * journal_dir.h). Names: <dir>/<UTC yyyymmddTHHMMSS>-<ms>-<pid>.thj, so they sort by start time. */
#ifndef TH_TRADING_JOURNAL_H
#define TH_TRADING_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../core/journal.h"
#include "../core/order_flow.h"

typedef struct th_trading_journal {
    th_journal jr;
    bool open;                   /* created and published: records go to it */
    char path[512];
    int lock_fd;                 /* the directory's lock (journal_dir.h), held until release */
    bool have_lock;
    bool failure_marked;         /* the journal failed and its marker is written */
} th_trading_journal;

/* Creates dir (0700) if missing, takes its lock, removes journals of start-ups that never finished
 * opening them, and names the journal to recover from in prev (*have_prev false: none). paper: a
 * paper account starts fresh unless resume (then a journal must be there). 0, or -1 with *err. */
int th_trading_journal_prepare(th_trading_journal *j, const char *dir, bool paper, bool resume, char *prev, size_t cap,
                               bool *have_prev, const char **err);
/* The new journal's name in dir, from the start's wall time and the process id. */
void th_trading_journal_name(th_trading_journal *j, const char *dir, const struct timespec *wall);
/* The flow's state from prev; a damaged journal refuses the start; a previous session that ended
 * on a journal failure makes this one start halted. paper: log what a resumed account carries. */
int th_trading_journal_recover(th_flow *f, const char *prev, bool paper, const char **err);
/* Creates the new journal, writes the flow's opening snapshot and publishes it (storage.fsync:
 * "never" writes without syncing, "always" commits each record). 0, or -1 with *err and the
 * previous journal left the one to recover from. */
int th_trading_journal_create(th_trading_journal *j, th_flow *f, const char *fsync_mode, const char **err);
/* The first time the flow is seen failed: leave the marker the next start looks for. */
void th_trading_journal_note_failure(th_trading_journal *j, const th_flow *f);
/* The closing records (before the flow is freed). */
void th_trading_journal_end(th_trading_journal *j, th_flow *f);
/* Closes the file and gives up the directory's lock (after the flow is freed). */
void th_trading_journal_release(th_trading_journal *j);

#endif
