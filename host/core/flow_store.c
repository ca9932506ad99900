/* flow_store.c — th.store through the order flow: a strategy's key-value state goes to the same
 * journal as its orders, in the same group commit, and comes back with them (flow_journal.c replays
 * and carries it; kv_store.c holds it and cuts values into records). Why the flow: one journal,
 * one commit, one recovery, so a restart never has orders from one moment and state from another. */
#include "order_flow.h"
#include "order_flow_impl.h"

int flow_store_rec(void *flow, th_jrec *r)
{
    th_flow *f = flow;
    flow_jr_put(f, r);
    return f->failed ? -1 : 0;
}

int th_flow_store_put(th_flow *f, const char *strategy, const char *key, const char *val, int32_t len, const char **err)
{
    if (f->failed) { *err = "the journal failed: th.store cannot be written (the session is halted)"; return -1; }
    if (th_kv_put(&f->store, strategy, key, val, len, err) != 0) return -1;
    if (th_kv_journal(strategy, key, val, len, false, flow_store_rec, f) != 0) { *err = "the journal append failed"; return -1; }
    return 0;
}

int th_flow_store_delete(th_flow *f, const char *strategy, const char *key, const char **err)
{
    if (f->failed) { *err = "the journal failed: th.store cannot be written (the session is halted)"; return -1; }
    if (th_kv_find(&f->store, strategy, key) < 0) return 0; /* nothing to delete, nothing to journal */
    th_kv_delete(&f->store, strategy, key);
    if (th_kv_journal(strategy, key, NULL, 0, true, flow_store_rec, f) != 0) { *err = "the journal append failed"; return -1; }
    return 0;
}
