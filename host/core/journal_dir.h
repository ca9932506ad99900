/* journal_dir.h — the journal directory: who may use it, which journal a start recovers from, and
 * what a session that ended on a journal failure leaves for the next start.
 *
 *   <dir>/lock                 flock()ed by the one host using the directory; holds its pid
 *   <dir>/<stamp>-<pid>.thj    one per session; names sort by start time
 *   <dir>/<...>.thj.new        a journal being opened: renamed to .thj once its opening snapshot is
 *                              durable (th_journal_create / th_journal_publish), so a start-up that
 *                              fails (full disk, I/O error) never becomes the one to recover from
 *   <dir>/<...>.thj.failed     the session writing <...>.thj ended on a journal failure (the text
 *                              says why): the next start recovers halted, until re-armed
 * The lock is advisory and per host process (flock on an open file description): a second host on
 * the same directory is refused with the first one's pid, before it reads or writes anything. */
#ifndef TH_JOURNAL_DIR_H
#define TH_JOURNAL_DIR_H

#include <stdbool.h>
#include <stddef.h>

/* Take the directory's lock: 0 and *fd (kept open while the host runs), or -1 with err naming the
 * holder ("... in use by another tradehost (pid 123)") or the system's reason. */
int th_jdir_lock(const char *dir, int *fd, char *err, size_t cap);
void th_jdir_unlock(int fd);
/* The newest journal (*.thj, by name) that is not empty: 0 and out, or -1 when there is none. An
 * empty journal is a start-up of an older host that failed before its first write: it holds no
 * state, so the one before it is still the truth. */
int th_jdir_newest(const char *dir, char *out, size_t cap);
/* Remove journals left half-opened (*.thj.new) by a start-up that died before publishing; returns
 * how many. Only under the lock. */
int th_jdir_clean(const char *dir);
/* The failure marker of a journal: write it (best effort, synced: 0 or -1), or read it (true and
 * the reason when it exists). */
int th_jdir_mark_failed(const char *journal_path, const char *why);
bool th_jdir_failed(const char *journal_path, char *why, size_t cap);

#endif
