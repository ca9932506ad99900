/* session_view.c — the session's view for the control surfaces (see session_view.h): each entry
 * answers from the same public functions a strategy calls (tradehost.h), so an operator through
 * the API and a strategy through th.risk read one state. */
#include "session_view.h"

#include <string.h>

#include "../core/json_out.h"
#include "../core/metrics.h"
#include "tradehost.h"

static void view_health(void *ctx, th_view_health *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    th_host_info hi;
    th_host_info_get(&hi);
    memcpy(out->version, hi.version, sizeof out->version);
    memcpy(out->mode, hi.mode, sizeof out->mode);
    out->pid = hi.pid;
    th_risk_view v;
    out->order_flow = th_risk_status_get(&v) == 0;
    out->halted = out->order_flow && v.halted;
}

static int view_fault(void *ctx, int32_t index, th_view_fault *out)
{
    (void)ctx;
    th_strategy_fault f;
    if (th_strategy_fault_get(index, &f, NULL) != 0) return -1;
    memset(out, 0, sizeof *out);
    memcpy(out->strategy, f.strategy, sizeof out->strategy);
    memcpy(out->callback, f.callback, sizeof out->callback);
    memcpy(out->error, f.error, sizeof out->error);
    out->orders_cancelled = f.orders_cancelled;
    return 0;
}

static int view_risk(void *ctx, th_view_risk *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    th_risk_view v;
    if (th_risk_status_get(&v) != 0) return -1;
    double counts[TH_RISK_REASON_COUNT];
    th_risk_refusals_get(counts, TH_RISK_REASON_COUNT);
    for (int32_t i = 1; i < TH_RISK_REASON_COUNT && out->nrefusals < TH_VIEW_REFUSALS_MAX; i++) {
        if (counts[i] <= 0) continue;
        th_view_refusals *r = &out->refusals[out->nrefusals++];
        th_risk_reason_name(i, &r->reason);
        r->count = counts[i];
    }
    out->halted = v.halted;
    out->breaker_open = v.breaker_open;
    out->consecutive_errors = v.consecutive_errors;
    out->halt_code = "";
    if (v.halted) th_risk_reason_name(v.halt_code, &out->halt_code);
    memcpy(out->halt_reason, v.halt_reason, sizeof out->halt_reason);
    return 0;
}

static int view_kill(void *ctx, const char *reason)
{
    (void)ctx;
    return th_risk_kill(reason);
}

static int view_rearm(void *ctx, const char **err)
{
    (void)ctx;
    return th_risk_rearm(err);
}

static void view_metrics(void *ctx, FILE *f)
{
    (void)ctx;
    th_metrics_prometheus(f);
}

static void view_balances(void *ctx, FILE *f)
{
    (void)ctx;
    th_balance_view b;
    const char *err = NULL;
    int rc = th_balance_at(0, &b, &err);
    if (rc != 0 && err && strstr(err, "unknown")) {
        fputs("{\"known\":false,\"reason\":", f);
        th_json_put_str(f, err);
        fputs(",\"balances\":{}}", f);
        return;
    }
    fputs("{\"known\":true,\"source\":", f);
    th_json_put_str(f, rc == 0 ? b.source : "");
    fputs(",\"balances\":{", f);
    for (int32_t i = 0; th_balance_at(i, &b, &err) == 0; i++) {
        fprintf(f, "%s", i ? "," : "");
        th_json_put_str(f, b.asset);
        fprintf(f, ":{\"total\":\"%s\",\"available\":\"%s\",\"held\":\"%s\",\"decimals\":%d,\"updated_ns\":%lld}", b.total_text,
                b.available_text, b.held_text, b.decimals, (long long)b.updated_ns);
    }
    fputs("}}", f);
}

th_session_view th_session_view_make(void)
{
    return (th_session_view){
        .ctx = NULL,
        .health = view_health,
        .fault = view_fault,
        .risk = view_risk,
        .kill = view_kill,
        .rearm = view_rearm,
        .metrics = view_metrics,
        .balances = view_balances,
    };
}
