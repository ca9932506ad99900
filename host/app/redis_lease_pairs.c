/* redis_lease_pairs.c — the lease table follows the configured pairs (redis_lease.h): built at
 * the start, and again every renewal period, so a pair a config reload (SIGHUP, POST /reload) or
 * an instrument update adds is leased like the start's pairs, and a pair a reload removes is
 * handed back: its orders cancelled, its key deleted once they are gone (redis_lease.c on_turn),
 * so another host can take it at once instead of after the expiry.
 *
 * Why entries are never removed: replies still out (renewals, an acquire) name pairs by their
 * index in the table. A removed pair's entry stays, marked off (never acquired, not counted in
 * the fair share); configured again, it is used again. */
#include "redis_lease.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"

static void key_symbol(const char *sym, char *out, size_t cap)
{
    size_t k = 0;
    for (; *sym && k + 1 < cap; sym++) out[k++] = *sym == '/' || *sym == ' ' ? '-' : (char)tolower((unsigned char)*sym);
    out[k] = 0;
}

static th_lease_pair *entry_of(th_redis_lease *l, int32_t ins)
{
    for (int32_t i = 0; i < l->np; i++)
        if (l->p[i].ins == ins) return &l->p[i];
    return NULL;
}

int th_lease_pairs_sync(th_redis_lease *l)
{
    const th_session_feed *mf = l->mf;
    const th_instruments *ins = l->tr->flow.ins;
    int32_t n = mf && mf->wanted ? (mf->nwanted < ins->n ? mf->nwanted : ins->n) : 0;
    bool started = l->p != NULL;
    for (int32_t i = 0; i < n; i++) {
        if (!mf->wanted[i]) continue;
        th_lease_pair *p = entry_of(l, i);
        if (p && p->off) {
            p->off = false;
            th_logf(TH_LOG_INFO, "lease: pair configured again: it is leased like the others", "symbol=%s key=%s", ins->v[i].symbol, p->key);
        }
        if (p) continue;
        if (l->np == l->cap) {
            int32_t cap = l->cap ? 2 * l->cap : 16;
            th_lease_pair *np = realloc(l->p, sizeof *np * (size_t)cap);
            if (!np) return -1;
            l->p = np;
            l->cap = cap;
        }
        p = &l->p[l->np++];
        memset(p, 0, sizeof *p);
        char sym[48];
        key_symbol(ins->v[i].symbol, sym, sizeof sym);
        p->l = l;
        p->ins = i;
        snprintf(p->key, sizeof p->key, "th:lease:%s:%s", l->account, sym);
        if (started) th_logf(TH_LOG_INFO, "lease: pair added: it is leased like the others", "symbol=%s key=%s", ins->v[i].symbol, p->key);
    }
    int32_t conf = 0;
    for (int32_t i = 0; i < l->np; i++) {
        th_lease_pair *p = &l->p[i];
        bool wanted = p->ins < n && mf->wanted[p->ins];
        if (!wanted && !p->off) {
            p->off = true;
            th_logf(TH_LOG_INFO, "lease: pair removed: handing it back once its orders are gone", "symbol=%s key=%s state=%d",
                    ins->v[p->ins].symbol, p->key, p->state);
            if (p->state == TH_LEASE_HELD) {
                p->state = TH_LEASE_RELEASING; /* renewed until its orders are gone, then deleted */
                th_flow_cancel_all(&l->tr->flow, p->ins, th_clock_ns());
            }
        }
        conf += !p->off;
    }
    l->nconf = conf;
    return 0;
}
