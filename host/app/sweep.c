/* sweep.c — a parameter sweep: every combination of the --set lists, one backtest process each,
 * as many at once as the machine has cores, then one table ranked by a metric (see sweep.h).
 *
 * Why processes: a backtest is single-threaded by design (one loop, like the live host), so the
 * grid is spread over cores the way a desk would run more hosts; each run is the ordinary
 * `tradehost backtest` with single values, its own --report directory, journal and summary.json,
 * so any row of the table can be re-run alone and gives the same figures. */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <math.h>

#include "../core/clock.h"
#include "report.h"

#define SWEEP_MAX_RUNS 4096
#define SWEEP_MAX_VALUES 64

typedef struct sweep_axis {
    char key[256];
    char *values[SWEEP_MAX_VALUES];
    int n;
    char buf[2048];
} sweep_axis;

typedef struct sweep_run {
    int idx, exit_code;
    pid_t pid;
    char dir[1200];
    int choice[TH_SWEEP_MAX_AXES];
    bool have;
    double pnl, fees, volume, realised, unrealised, fills, maker_fills;
    char refusals[512];
} sweep_run;

static int split_axes(const th_sweep_opts *o, sweep_axis *ax, int *nax)
{
    *nax = 0;
    for (int i = 0; i < o->nsets; i++) {
        if (*nax == TH_SWEEP_MAX_AXES) { fprintf(stderr, "tradehost backtest: at most %d --set in a sweep\n", TH_SWEEP_MAX_AXES); return -1; }
        sweep_axis *a = &ax[(*nax)++];
        const char *eq = strchr(o->sets[i], '=');
        snprintf(a->key, sizeof a->key, "%.*s", (int)(eq - o->sets[i]), o->sets[i]);
        snprintf(a->buf, sizeof a->buf, "%s", eq + 1);
        a->n = 0;
        for (char *save = NULL, *v = strtok_r(a->buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
            if (a->n == SWEEP_MAX_VALUES) { fprintf(stderr, "tradehost backtest: --set %s: at most %d values\n", a->key, SWEEP_MAX_VALUES); return -1; }
            a->values[a->n++] = v;
        }
        if (a->n == 0) { fprintf(stderr, "tradehost backtest: --set %s: no value\n", o->sets[i]); return -1; }
    }
    return 0;
}

static pid_t start_run(const th_sweep_opts *o, const sweep_axis *ax, int nax, sweep_run *r)
{
    char log[1300];
    snprintf(log, sizeof log, "%s/backtest.log", r->dir);
    char seed[32], sets[TH_SWEEP_MAX_AXES][2400];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    const char *args[16 + 2 * TH_SWEEP_MAX_AXES + 2 * 16];
    int n = 0;
    args[n++] = "tradehost";
    args[n++] = "backtest";
    args[n++] = o->config_path;
    args[n++] = "--report";
    args[n++] = r->dir;
    args[n++] = "--seed";
    args[n++] = seed;
    for (int d = 0; d < o->ndata && d < 16; d++) args[n++] = "--data", args[n++] = o->data[d];
    for (int a = 0; a < nax; a++) {
        snprintf(sets[a], sizeof sets[a], "%s=%s", ax[a].key, ax[a].values[r->choice[a]]);
        args[n++] = "--set";
        args[n++] = sets[a];
    }
    args[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) return pid;
    char probe[1300];
    snprintf(probe, sizeof probe, "%s", r->dir);
    mkdir(probe, 0700);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
    execv("/proc/self/exe", (char *const *)args);
    _exit(127);
}

/* The number after "key": in the summary's "total" object. */
static bool total_field(const char *json, const char *key, double *out)
{
    const char *t = strstr(json, "\"total\":{");
    if (!t) return false;
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(t, pat);
    if (!p) return false;
    char *end;
    *out = strtod(p + strlen(pat), &end);
    return end != p + strlen(pat);
}

static void read_summary(sweep_run *r)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/summary.json", r->dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!buf) return;
    buf[n] = 0;
    r->have = total_field(buf, "pnl", &r->pnl) && total_field(buf, "fees", &r->fees) && total_field(buf, "volume", &r->volume) &&
              total_field(buf, "realised", &r->realised) && total_field(buf, "unrealised", &r->unrealised) &&
              total_field(buf, "fills", &r->fills) && total_field(buf, "maker_fills", &r->maker_fills);
    const char *rf = strstr(buf, "\"refusals\":{");
    if (rf) {
        const char *e = strchr(rf, '}');
        snprintf(r->refusals, sizeof r->refusals, "%.*s", e ? (int)(e - rf - 12) : 0, rf + 12);
    }
    free(buf);
}

static double metric(const sweep_run *r, const char *rank)
{
    if (!strcmp(rank, "fees")) return -r->fees; /* lower is better */
    if (!strcmp(rank, "volume")) return r->volume;
    if (!strcmp(rank, "fills")) return r->fills;
    if (!strcmp(rank, "maker_fills")) return r->maker_fills;
    if (!strcmp(rank, "realised")) return r->realised;
    if (!strcmp(rank, "unrealised")) return r->unrealised;
    return r->pnl;
}

static const char *g_rank;
static int by_rank(const void *a, const void *b)
{
    const sweep_run *x = *(sweep_run *const *)a, *y = *(sweep_run *const *)b;
    if (x->have != y->have) return x->have ? -1 : 1;
    double mx = metric(x, g_rank), my = metric(y, g_rank);
    if (mx != my) return mx > my ? -1 : 1;
    return x->idx - y->idx;
}

/* The run's report page, relative to the sweep's directory (run-NNN/<journal>.report/report.html),
 * into out; "" when the run wrote none. */
static void report_link(const sweep_run *r, char *out, size_t cap)
{
    out[0] = 0;
    DIR *d = opendir(r->dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n > 7 && strcmp(e->d_name + n - 7, ".report") == 0) {
            char probe[1600];
            snprintf(probe, sizeof probe, "%s/%s/report.html", r->dir, e->d_name);
            if (access(probe, R_OK) == 0) snprintf(out, cap, "%s/%s/report.html", strrchr(r->dir, '/') + 1, e->d_name);
            break;
        }
    }
    closedir(d);
}

static void html_num(FILE *f, double v, const char *fmt)
{
    if (isfinite(v)) fprintf(f, fmt, v);
    else fputs("&ndash;", f);
}

/* DIR/sweep.html: the same table as sweep.json, self-contained (the report's look, no script, no
 * network), a row per run in rank order; each row carries its rank and the ranked metric
 * (data-rank, data-metric) and links to the run's own report page. */
static int write_html(const char *path, const th_sweep_opts *o, const sweep_axis *ax, int nax, sweep_run *const *order, long total,
                      int jobs, double wall)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    th_report_html_head(f, "tradehost sweep");
    fprintf(f, "<h1>tradehost sweep</h1>\n<p>%ld runs (%d at a time, %.2f s wall), ranked by <b>", total, jobs, wall);
    th_report_html_text(f, o->rank);
    fprintf(f, "</b> (%s first); config <code>", strcmp(o->rank, "fees") == 0 ? "lowest" : "highest");
    th_report_html_text(f, o->config_path);
    fputs("</code>.</p>\n<table class=\"sweep\"><thead><tr><th>rank</th><th class=\"l\">run</th>", f);
    for (int a = 0; a < nax; a++) {
        fputs("<th class=\"l\">", f);
        th_report_html_text(f, ax[a].key);
        fputs("</th>", f);
    }
    fputs("<th>pnl</th><th>fees</th><th>volume</th><th>realised</th><th>unrealised</th><th>fills</th><th>maker fills</th><th>exit</th>"
          "<th class=\"l\">refusals</th></tr></thead>\n<tbody>\n",
          f);
    for (long i = 0; i < total; i++) {
        const sweep_run *r = order[i];
        char link[1700];
        report_link(r, link, sizeof link);
        fprintf(f, "<tr data-rank=\"%ld\" data-run=\"%s\"", i + 1, strrchr(r->dir, '/') + 1);
        if (r->have) fprintf(f, " data-metric=\"%.17g\"", metric(r, o->rank));
        fprintf(f, "><td>%ld</td><td class=\"l\">", i + 1);
        if (link[0]) {
            fputs("<a href=\"", f);
            th_report_html_text(f, link);
            fputs("\">", f);
        }
        th_report_html_text(f, strrchr(r->dir, '/') + 1);
        fputs(link[0] ? "</a></td>" : "</td>", f);
        for (int a = 0; a < nax; a++) {
            fputs("<td class=\"l\">", f);
            th_report_html_text(f, ax[a].values[r->choice[a]]);
            fputs("</td>", f);
        }
        if (r->have) {
            double v[] = {r->pnl, r->fees, r->volume, r->realised, r->unrealised};
            for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
                fputs("<td>", f);
                html_num(f, v[k], k == 2 ? "%.2f" : "%.4f");
                fputs("</td>", f);
            }
            fprintf(f, "<td>%.0f</td><td>%.0f</td><td>%d</td><td class=\"l\">", r->fills, r->maker_fills, r->exit_code);
            char plain[sizeof r->refusals]; /* "layering":42,"price_band":3 -> layering:42, price_band:3 */
            size_t k = 0;
            for (const char *c = r->refusals; *c && k + 2 < sizeof plain; c++) {
                if (*c == '"') continue;
                plain[k++] = *c;
                if (*c == ',') plain[k++] = ' ';
            }
            plain[k] = 0;
            th_report_html_text(f, k ? plain : "none");
            fputs("</td></tr>\n", f);
        } else {
            fprintf(f, "<td colspan=\"7\" class=\"l\">no summary: see %s/backtest.log</td><td>%d</td><td></td></tr>\n",
                    strrchr(r->dir, '/') + 1, r->exit_code);
        }
    }
    fputs("</tbody></table>\n</body></html>\n", f);
    int bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

static const char *const METRICS[] = {"pnl", "fees", "volume", "fills", "maker_fills", "realised", "unrealised"};

int th_sweep_run(const th_sweep_opts *o)
{
    bool known = false;
    for (size_t i = 0; i < sizeof METRICS / sizeof *METRICS; i++) known |= strcmp(o->rank, METRICS[i]) == 0;
    if (!known) {
        fprintf(stderr, "tradehost backtest: --rank %s: one of pnl, fees, volume, fills, maker_fills, realised, unrealised\n", o->rank);
        return 2;
    }
    static sweep_axis ax[TH_SWEEP_MAX_AXES];
    int nax;
    if (split_axes(o, ax, &nax) != 0) return 2;
    long total = 1;
    for (int a = 0; a < nax; a++) total *= ax[a].n;
    if (total > SWEEP_MAX_RUNS) { fprintf(stderr, "tradehost backtest: %ld combinations: at most %d\n", total, SWEEP_MAX_RUNS); return 2; }
    sweep_run *runs = calloc((size_t)total, sizeof *runs);
    sweep_run **order = calloc((size_t)total, sizeof *order);
    if (!runs || !order) { free(runs); free(order); fprintf(stderr, "tradehost backtest: out of memory\n"); return 1; }
    for (long i = 0; i < total; i++) {
        sweep_run *r = &runs[i];
        r->idx = (int)i;
        long k = i;
        for (int a = nax - 1; a >= 0; a--) { r->choice[a] = (int)(k % ax[a].n); k /= ax[a].n; }
        snprintf(r->dir, sizeof r->dir, "%s/run-%03ld", o->report_dir, i + 1);
    }
    int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1) jobs = 1;
    printf("sweep: %ld runs, %d at a time, into %s\n", total, jobs, o->report_dir);
    fflush(stdout);
    int64_t t0 = th_mono_ns();
    long next = 0, running = 0, done = 0;
    while (done < total) {
        while (running < jobs && next < total) {
            sweep_run *r = &runs[next++];
            r->pid = start_run(o, ax, nax, r);
            if (r->pid < 0) { r->exit_code = -1; done++; continue; }
            running++;
        }
        int st;
        pid_t pid = wait(&st);
        if (pid < 0) { if (errno == EINTR) continue; break; }
        for (long i = 0; i < total; i++)
            if (runs[i].pid == pid) {
                runs[i].exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                read_summary(&runs[i]);
            }
        running--;
        done++;
    }
    double wall = (double)(th_mono_ns() - t0) / 1e9;
    for (long i = 0; i < total; i++) order[i] = &runs[i];
    g_rank = o->rank;
    qsort(order, (size_t)total, sizeof *order, by_rank);

    char path[1300];
    snprintf(path, sizeof path, "%s/sweep.json", o->report_dir);
    FILE *j = fopen(path, "w");
    snprintf(path, sizeof path, "%s/sweep.txt", o->report_dir);
    FILE *t = fopen(path, "w");
    if (!j || !t) {
        fprintf(stderr, "tradehost backtest: cannot write the sweep table in %s: %s\n", o->report_dir, strerror(errno));
        if (j) fclose(j);
        if (t) fclose(t);
        free(runs);
        free(order);
        return 1;
    }
    fprintf(j, "{\"rank\":\"%s\",\"runs\":%ld,\"jobs\":%d,\"wall_s\":%.3f,\"table\":[", o->rank, total, jobs, wall);
    FILE *outs[2] = {t, stdout};
    for (int w = 0; w < 2; w++) {
        fprintf(outs[w], "%-4s %-8s", "rank", "run");
        for (int a = 0; a < nax; a++) fprintf(outs[w], " %-14s", strrchr(ax[a].key, '.') ? strrchr(ax[a].key, '.') + 1 : ax[a].key);
        fprintf(outs[w], " %12s %12s %14s %7s %5s  %s\n", "pnl", "fees", "volume", "fills", "exit", "refusals");
    }
    int failed = 0;
    for (long i = 0; i < total; i++) {
        const sweep_run *r = order[i];
        failed += r->exit_code != 0 || !r->have;
        fprintf(j, "%s{\"rank\":%ld,\"dir\":\"%s\",\"exit\":%d,\"params\":{", i ? "," : "", i + 1, strrchr(r->dir, '/') + 1, r->exit_code);
        for (int a = 0; a < nax; a++) fprintf(j, "%s\"%s\":\"%s\"", a ? "," : "", ax[a].key, ax[a].values[r->choice[a]]);
        fprintf(j, "}");
        if (r->have)
            fprintf(j, ",\"pnl\":%.10g,\"fees\":%.10g,\"volume\":%.10g,\"realised\":%.10g,\"unrealised\":%.10g,\"fills\":%.0f,\"maker_fills\":%.0f,"
                       "\"refusals\":{%s}",
                    r->pnl, r->fees, r->volume, r->realised, r->unrealised, r->fills, r->maker_fills, r->refusals);
        fprintf(j, "}");
        for (int w = 0; w < 2; w++) {
            fprintf(outs[w], "%-4ld %-8s", i + 1, strrchr(r->dir, '/') + 1);
            for (int a = 0; a < nax; a++) fprintf(outs[w], " %-14s", ax[a].values[r->choice[a]]);
            if (r->have) fprintf(outs[w], " %12.4f %12.4f %14.2f %7.0f %5d  %s\n", r->pnl, r->fees, r->volume, r->fills, r->exit_code, r->refusals);
            else fprintf(outs[w], " %12s %12s %14s %7s %5d  no summary: see %s/backtest.log\n", "-", "-", "-", "-", r->exit_code, r->dir);
        }
    }
    fprintf(j, "]}\n");
    fclose(j);
    fclose(t);
    snprintf(path, sizeof path, "%s/sweep.html", o->report_dir);
    if (write_html(path, o, ax, nax, order, total, jobs, wall) != 0) {
        fprintf(stderr, "tradehost backtest: cannot write %s: %s\n", path, strerror(errno));
        failed++;
    }
    printf("sweep: %ld runs in %.2f s wall (%d at a time); ranked by %s: %s/sweep.json, %s/sweep.txt, %s/sweep.html\n", total, wall, jobs,
           o->rank, o->report_dir, o->report_dir, o->report_dir);
    free(runs);
    free(order);
    return failed ? 1 : 0;
}
