/* sweep.h — `tradehost backtest ... --set key=a,b,c`: a parameter sweep. Every combination of the
 * listed values runs as its own `tradehost backtest` process (as many at once as --jobs, default
 * the machine's cores), each with its own --report directory (run-NNN: journal, report,
 * summary.json, backtest.log); then one table ranked by --rank (pnl, realised, unrealised, volume,
 * fills, maker_fills: higher first; fees: lower first; ties by run number) is written as
 * DIR/sweep.json, DIR/sweep.txt and DIR/sweep.html (self-contained, each row linking to its run's
 * report page) and printed. */
#ifndef TH_SWEEP_H
#define TH_SWEEP_H

#include <stdint.h>

#define TH_SWEEP_MAX_AXES 16

typedef struct th_sweep_opts {
    const char *argv0, *config_path;
    const char *const *sets;   /* the --set arguments, "key=v1,v2,..." or single values */
    int nsets;
    const char *report_dir;    /* absolute, made */
    const char *rank;
    int jobs;                  /* 0: the machine's cores */
    const char *const *data;   /* every --data, absolute */
    int ndata;
    uint64_t seed;
    int argc;
    char **argv;
} th_sweep_opts;

/* 0 when every run wrote its summary, 1 when any failed (the table says which), 2 for bad usage. */
int th_sweep_run(const th_sweep_opts *o);

#endif
