/* trading_journal.c — the session's journal file (see trading_journal.h). */
#include "trading_journal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/decimal.h"
#include "../core/journal_dir.h"
#include "../core/log.h"
#include "paths.h"

int th_trading_journal_prepare(th_trading_journal *j, const char *dir, bool paper, bool resume, char *prev, size_t cap,
                               bool *have_prev, const char **err)
{
    static char msg[1400];
    char w[1200];
    if (th_path_mkdirs(dir, w, sizeof w) != 0) {
        snprintf(msg, sizeof msg, "storage.journal_dir: %s", w);
        *err = msg;
        return -1;
    }
    /* One host per journal directory, before anything in it is read: a second host would recover
     * the first one's journal, adopt its live orders and trade them too. */
    static char lock_err[700];
    if (th_jdir_lock(dir, &j->lock_fd, lock_err, sizeof lock_err) != 0) { *err = lock_err; return -1; }
    j->have_lock = true;
    int stale = th_jdir_clean(dir);
    if (stale) th_logf(TH_LOG_WARN, "removed journals of start-ups that never finished opening them", "dir=%s files=%d", dir, stale);
    *have_prev = th_jdir_newest(dir, prev, cap) == 0;
    /* A paper account starts fresh unless --resume: a second paper run must not inherit the first
     * one's exposure, fees and kill switch without being asked to. A live run always recovers. */
    if (paper && resume && !*have_prev) {
        snprintf(msg, sizeof msg, "--resume: no paper journal to resume in %s", dir);
        *err = msg;
        return -1;
    }
    if (paper && !resume && *have_prev) {
        th_logf(TH_LOG_INFO, "fresh paper account: the previous paper run is not resumed (--resume continues it)",
                "previous=%s", prev);
        *have_prev = false;
    }
    return 0;
}

void th_trading_journal_name(th_trading_journal *j, const char *dir, const struct timespec *wall)
{
    int64_t wall_ms = (int64_t)wall->tv_sec * 1000 + wall->tv_nsec / 1000000;
    time_t now_s = wall->tv_sec;
    struct tm tmv;
    gmtime_r(&now_s, &tmv);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tmv);
    snprintf(j->path, sizeof j->path, "%s/%s-%03d-%d.thj", dir, stamp, (int)(wall_ms % 1000), (int)getpid());
}

/* What a resumed paper account carries: every position and its fees, and the kill switch. */
static void log_resumed(const th_flow *f)
{
    for (int32_t i = 0; i < f->pf.n && i < f->ins->n; i++) {
        const th_position *p = &f->pf.v[i];
        if (!p->qty && !p->fills && p->fees == 0 && p->realised == 0) continue;
        th_logf(TH_LOG_INFO, "resumed position", "symbol=%s qty=%.*f fees=%.8g realised=%.8g fills=%lld", f->ins->v[i].symbol,
                (int)f->ins->v[i].qty_dec, th_dec_to_double(p->qty, f->ins->v[i].qty_dec), th_money_to_double(p->fees, p->scale),
                th_money_to_double(p->realised, p->scale), (long long)p->fills);
    }
    if (f->risk.halted)
        th_logf(TH_LOG_WARN, "resumed a halted paper account: orders are refused until th.risk.rearm()", "reason=\"%s\"",
                f->risk.halt_reason);
}

int th_trading_journal_recover(th_flow *f, const char *prev, bool paper, const char **err)
{
    th_journal_scan scan;
    static char why[700];
    if (th_flow_recover(f, prev, &scan, err) != 0) {
        if (scan.corrupt)
            snprintf(why, sizeof why, "journal %s: %s (damaged record at byte %llu, valid records again from byte %llu): "
                     "refusing to start on a state that is not known; restore the file or recover by hand", prev, *err,
                     (unsigned long long)scan.bad_offset, (unsigned long long)scan.next_good);
        else snprintf(why, sizeof why, "journal %s: %s (at byte %llu)", prev, *err, (unsigned long long)scan.bad_offset);
        *err = why;
        return -1;
    }
    /* The previous session ended on a journal failure: what it did after the failure never
     * reached the journal (its kill switch included), so start halted until re-armed. */
    char failed_why[400];
    bool prev_failed = th_jdir_failed(prev, failed_why, sizeof failed_why);
    if (prev_failed) th_risk_halt(&f->risk, TH_RISK_HALTED, "the previous session ended on a journal failure");
    th_logf(TH_LOG_INFO, "recovered from the journal", "file=%s records=%llu torn_tail=%s live_orders=%d halted=%s%s", prev,
            (unsigned long long)scan.records, scan.torn_tail ? "yes" : "no", f->trk.nlive, f->risk.halted ? "yes" : "no",
            paper ? " account=paper (resumed: --resume)" : "");
    if (paper) log_resumed(f);
    if (prev_failed)
        th_logf(TH_LOG_ERROR, "the previous session ended on a journal failure: starting halted until re-armed", "file=%s error=\"%s\"",
                prev, failed_why);
    return 0;
}

/* The new journal becomes the one to recover from only once its opening snapshot is durable
 * (journal.h, th_journal_create): a start-up that fails here leaves the previous one newest. */
int th_trading_journal_create(th_trading_journal *j, th_flow *f, const char *fsync_mode, const char **err)
{
    if (th_journal_create(&j->jr, j->path, strcmp(fsync_mode, "never") != 0, err) != 0) return -1;
    j->jr.commit_each = strcmp(fsync_mode, "always") == 0;
    f->jr = &j->jr;
    th_flow_journal_begin(f, th_clock_ns());
    const char *cerr;
    if (f->failed || th_journal_publish(&j->jr, &cerr) != 0) {
        static char why[800];
        snprintf(why, sizeof why, "the new journal's opening snapshot is not durable, so the previous journal stays the one "
                 "to recover from: %s", f->failed ? f->last_error : cerr);
        *err = why;
        th_journal_discard(&j->jr);
        f->jr = NULL;
        return -1;
    }
    j->open = true;
    return 0;
}

/* The journal itself may take no more writes, so its kill record may never reach the disk: the
 * marker beside it is what tells the next start. */
void th_trading_journal_note_failure(th_trading_journal *j, const th_flow *f)
{
    if (j->failure_marked || !j->open || !f->failed) return;
    j->failure_marked = true;
    if (th_jdir_mark_failed(j->path, f->last_error) != 0)
        th_logf(TH_LOG_ERROR, "cannot write the journal failure marker: the next start will not know to start halted",
                "journal=%s", j->path);
    th_logf(TH_LOG_ERROR, "the journal failed: halted; this session will exit non-zero and the next start halted",
            "journal=%s error=\"%s\"", j->path, f->last_error);
}

void th_trading_journal_end(th_trading_journal *j, th_flow *f)
{
    if (!j->open) return;
    th_flow_journal_close(f, th_clock_ns());
    th_logf(TH_LOG_INFO, "order flow closed", "journal=%s records=%llu commits=%llu live_orders=%d fills=%llu", j->path,
            (unsigned long long)j->jr.records, (unsigned long long)j->jr.commits, f->trk.nlive, (unsigned long long)f->st.fills);
    th_trading_journal_note_failure(j, f); /* also when the closing commit is the one that fails */
}

void th_trading_journal_release(th_trading_journal *j)
{
    if (j->open) th_journal_close(&j->jr);
    if (j->have_lock) th_jdir_unlock(j->lock_fd);
    j->have_lock = false;
}
