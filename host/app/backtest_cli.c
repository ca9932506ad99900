/* backtest_cli.c — `tradehost backtest`: its options, and the choice between one run and a sweep.
 *
 * One run is a session on the virtual clock (session.c) with the command line's overrides: --data
 * is venue.recording, --report DIR is where the journal (so the report) and summary.json go,
 * --set key=value changes any config value before validation, --from/--to trade a part of the
 * recording, --seed seeds the paper venue. A --set with a comma-separated list of values makes a
 * parameter sweep (sweep.c): every combination, one process each, in parallel. */
#include "backtest_cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "session.h"
#include "session_feed.h"
#include "sweep.h"

#define MAX_SETS 64

/* "+S" (seconds after the recording's first record), epoch seconds ("1618678140.5"), or UTC
 * "YYYY-MM-DDTHH:MM:SS[.fff][Z]". */
static int parse_time(const char *s, int64_t *ns, bool *rel)
{
    char *end;
    *rel = *s == '+';
    if (*rel || strchr(s, '-') == NULL) {
        double v = strtod(s + *rel, &end);
        if (*end || end == s + *rel || v < 0) return -1;
        *ns = (int64_t)(v * 1e9 + 0.5);
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) return -1;
    double frac = 0;
    if (*p == '.') {
        frac = strtod(p, &end);
        p = end;
    }
    if (*p == 'Z') p++;
    if (*p) return -1;
    *ns = (int64_t)timegm(&tm) * 1000000000LL + (int64_t)(frac * 1e9 + 0.5);
    return 0;
}

static int abs_path(const char *opt, const char *p, char *out, size_t cap)
{
    char *abs = realpath(p, NULL);
    if (!abs) { fprintf(stderr, "tradehost backtest: --%s %s: %s\n", opt, p, strerror(errno)); return -1; }
    snprintf(out, cap, "%s", abs);
    free(abs);
    return 0;
}

/* DIR made (with its parents) and absolute, into out. */
static int report_dir(const char *dir, char *out, size_t cap)
{
    char why[1200];
    char probe[1100];
    snprintf(probe, sizeof probe, "%s/x", dir);
    if (th_path_mkparent(probe, why, sizeof why) != 0) {
        fprintf(stderr, "tradehost backtest: --report %s: %s\n", dir, why);
        return -1;
    }
    char *abs = realpath(dir, NULL);
    if (!abs) {
        fprintf(stderr, "tradehost backtest: --report %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(out, cap, "%s", abs);
    free(abs);
    return 0;
}

int th_cmd_backtest(int argc, char **argv, const char *home)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'D'},  {"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
        {"report", required_argument, NULL, 'R'}, {"set", required_argument, NULL, 's'}, {"seed", required_argument, NULL, 'S'},
        {"rank", required_argument, NULL, 'k'},  {"jobs", required_argument, NULL, 'j'},
        {"lead", required_argument, NULL, 'L'},
        {"duration", required_argument, NULL, 'd'}, {"log-level", required_argument, NULL, 'l'}, {"resume", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    th_session_opts o = {.home = home, .mode = "backtest", .virtual_clock = true};
    static char setbuf[MAX_SETS + 2][1200];
    static const char *sets[MAX_SETS + 2];
    const char *user_sets[MAX_SETS];
    int nsets = 0, nuser = 0, jobs = 0;
    const char *data = NULL, *report = NULL, *rank = "pnl", *lead = NULL;
    static char more_data[TH_SESSION_MAX_DATA][PATH_MAX];
    static const char *more_ptr[TH_SESSION_MAX_DATA];
    int ndata = 0;
    bool sweep = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'D':
            if (ndata == TH_SESSION_MAX_DATA + 1) { fprintf(stderr, "tradehost backtest: at most %d --data\n", TH_SESSION_MAX_DATA + 1); return 2; }
            if (!data) data = optarg;
            else if (abs_path("data", optarg, more_data[ndata - 1], sizeof more_data[0]) != 0) return 2;
            else more_ptr[ndata - 1] = more_data[ndata - 1];
            ndata++;
            break;
        case 'f':
        case 't': {
            int64_t ns;
            bool rel;
            if (parse_time(optarg, &ns, &rel) != 0) {
                fprintf(stderr, "tradehost backtest: --%s %s: expected +SECONDS, epoch seconds or YYYY-MM-DDTHH:MM:SSZ\n",
                        c == 'f' ? "from" : "to", optarg);
                return 2;
            }
            if (c == 'f') o.from_ns = ns, o.from_rel = rel;
            else o.to_ns = ns, o.to_rel = rel;
            break;
        }
        case 'R': report = optarg; break;
        case 'L': lead = optarg; break;
        case 's':
            if (nuser == MAX_SETS) { fprintf(stderr, "tradehost backtest: at most %d --set\n", MAX_SETS); return 2; }
            if (!strchr(optarg, '=')) { fprintf(stderr, "tradehost backtest: --set %s: expected key.path=value\n", optarg); return 2; }
            if (strchr(strchr(optarg, '='), ',')) sweep = true;
            user_sets[nuser++] = optarg;
            break;
        case 'S':
            errno = 0;
            o.seed = strtoull(optarg, &end, 10);
            if (*end || errno || *optarg == '-') { fprintf(stderr, "tradehost backtest: --seed: not a whole number: %s\n", optarg); return 2; }
            break;
        case 'k': rank = optarg; break;
        case 'j':
            jobs = (int)strtol(optarg, &end, 10);
            if (*end || jobs < 1) { fprintf(stderr, "tradehost backtest: --jobs: not a positive number: %s\n", optarg); return 2; }
            break;
        case 'd':
            o.duration_s = strtod(optarg, &end);
            if (*end || o.duration_s < 0) { fprintf(stderr, "tradehost backtest: --duration: not a number of seconds: %s\n", optarg); return 2; }
            break;
        case 'l': o.log_level = optarg; break;
        case 'r':
            fprintf(stderr, "tradehost: --resume continues a paper account; a backtest session never inherits a previous run\n");
            return 2;
        default: fprintf(stderr, "see `tradehost backtest --help`\n"); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "tradehost backtest: expected exactly one CONFIG file (see --help)\n");
        return 2;
    }
    o.config_path = argv[optind];
    if (o.from_ns && o.to_ns && o.from_rel == o.to_rel && o.to_ns <= o.from_ns) {
        fprintf(stderr, "tradehost backtest: --to must be after --from\n");
        return 2;
    }
    char data_abs[PATH_MAX] = "";
    if (data && abs_path("data", data, data_abs, sizeof data_abs) != 0) return 2;
    o.data_given = data != NULL;
    /* --lead: the lead market's recording (the rest of venue.lead, its feed, instruments and
     * alignment, comes from the config); a --set, so a sweep's runs get it too */
    static char lead_set[PATH_MAX + 32];
    if (lead) {
        char lead_abs[PATH_MAX];
        if (abs_path("lead", lead, lead_abs, sizeof lead_abs) != 0) return 2;
        if (nuser == MAX_SETS) { fprintf(stderr, "tradehost backtest: at most %d --set\n", MAX_SETS); return 2; }
        snprintf(lead_set, sizeof lead_set, "venue.lead.recording=%s", lead_abs);
        user_sets[nuser++] = lead_set;
    }
    o.data = more_ptr;
    o.ndata = ndata > 1 ? ndata - 1 : 0;
    char rdir[PATH_MAX] = "";
    if (report && report_dir(report, rdir, sizeof rdir) != 0) return 2;
    if (sweep) {
        if (!report) {
            fprintf(stderr, "tradehost backtest: a sweep (a --set with several values) writes its table into --report DIR: give one\n");
            return 2;
        }
        th_sweep_opts so = {.argv0 = argv[0], .config_path = o.config_path, .sets = user_sets, .nsets = nuser, .report_dir = rdir,
                            .rank = rank, .jobs = jobs, .seed = o.seed, .argc = argc, .argv = argv};
        const char *all[TH_SESSION_MAX_DATA + 1];
        all[0] = data_abs;
        for (int i = 0; i < o.ndata; i++) all[i + 1] = more_ptr[i];
        so.data = all;
        so.ndata = data ? 1 + o.ndata : 0;
        return th_sweep_run(&so);
    }
    for (int i = 0; i < nuser; i++) sets[nsets++] = user_sets[i];
    if (data) {
        snprintf(setbuf[0], sizeof setbuf[0], "venue.recording=%s", data_abs);
        sets[nsets++] = setbuf[0];
    }
    if (report) {
        /* the journal goes to DIR: the report is built from it, beside it */
        snprintf(setbuf[1], sizeof setbuf[1], "storage.journal_dir=%s", rdir);
        sets[nsets++] = setbuf[1];
        o.report_dir = rdir;
    }
    o.sets = sets;
    o.nsets = nsets;
    return th_session_run(&o);
}
