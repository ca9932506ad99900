/* session.h — one running host session: the libuv loop, the Lua strategies, the signal handling
 * and the clock ticks. `run`, `backtest` and the demo all go through session_run so there is one
 * code path for live, paper and recorded modes (design.md "Modes, one code path"). */
#ifndef TH_SESSION_H
#define TH_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct th_session_opts {
    const char *config_path;
    const char *home;
    const char *mode;          /* "run", "paper" (--paper), "backtest"; a `run` whose config says
                                * venue.paper or venue.name = "sim" is a paper session too */
    double duration_s;         /* 0: until a signal (or until the recording ends in backtest) */
    const char *log_level;     /* overrides config when set */
    bool virtual_clock;        /* backtest: time comes from the recording */
    bool resume;               /* paper: continue the previous paper run's account (journal) */
    uint64_t seed;             /* --seed: the paper venue's ids and sampled latencies */
    /* backtest (backtest_cli.c): --set overrides, --report, --from/--to */
    const char *const *sets;   /* "key.path=value", applied to the config before validation */
    int nsets;
    const char *report_dir;    /* the journal (so the report), and summary.json, go here */
    int64_t from_ns, to_ns;    /* the part of the recording traded (0: from its start / to its end) */
    bool from_rel, to_rel;     /* ..._ns counts from the recording's first record */
    const char *const *data;   /* --data beyond the first (the first is venue.recording): merged */
    int ndata;
    bool data_given;           /* --data: replaces venue.recording and venue.data */
} th_session_opts;

/* Exit statuses (docs/ops.md, "Exit status"): how the session ended. */
enum {
    TH_EXIT_OK = 0,                /* stopped as asked (signal, duration, end of a backtest) */
    TH_EXIT_FAILURE = 1,           /* a runtime failure (e.g. the loop closed with live handles) */
    TH_EXIT_START = 2,             /* did not start: config, strategy, market data, journal, sockets */
    TH_EXIT_STRATEGY_FAULTED = 3,  /* ran, but the strategy was faulted when it ended */
    TH_EXIT_JOURNAL_FAILED = 4,    /* ran, but the journal failed: halted from then on, and the next
                                    * start is halted too (journal_dir.h, the failure marker) */
    TH_EXIT_ORDERS_LIVE = 6,       /* stopped, but the drain gave up with orders still live at the
                                    * venue (each named in the log): its cancels were refused or lost */
};

/* Returns the process exit code (the TH_EXIT_* above). */
int th_session_run(const th_session_opts *opts);

#endif
