/* lua_host.h — the LuaJIT embedding: one lua_State per host, the single protected-call wrapper
 * every host->Lua call goes through, and strategy instances (module + state + ctx) with fault
 * isolation and transactional hot reload.
 *
 * Only this directory includes lua.h (style.md: one adapter per library). */
#ifndef TH_LUA_HOST_H
#define TH_LUA_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lua_State lua_State;

/* A string the per-event path pushes again and again (a symbol, a callback name), kept as a
 * registry reference: pushing it is an array read, where lua_pushstring hashes and interns the
 * text on every call. */
typedef struct th_lua_str {
    const char *key;      /* callback names: the literal's address; symbols: NULL (by slot) */
    char *text;           /* the string (symbols: checked on each push, re-made if it changed) */
    int ref;
} th_lua_str;

typedef struct th_lua {
    lua_State *L;
    int config_ref;       /* the validated config table */
    int traceback_ref;    /* the protected calls' error handler, made once (0: not yet) */
    th_lua_str *cb_keys;  /* callback names by literal address */
    int ncb_keys, cb_keys_cap;
    th_lua_str *syms;     /* symbols by slot (the instrument index) */
    int nsyms;
    char home[1024];      /* project root: scripts/, strategies/ */
    char error[8192];     /* last error text (with traceback) from th_lua_pcall */
} th_lua;

struct th_strategy;
/* Told once when a callback raises and the strategy is faulted (after the protected call). */
typedef void (*th_strategy_fault_fn)(void *ctx, struct th_strategy *s);

typedef struct th_strategy {
    char name[64];
    char path[1024];
    int mod_ref, state_ref, ctx_ref;
    bool started;
    bool faulted;
    /* the fault, while faulted: which callback, its error (first line, location included), when */
    char fault_callback[32];
    char fault_error[512];
    int64_t fault_ns;
    int32_t fault_orders_cancelled;
    th_strategy_fault_fn on_fault;
    void *on_fault_ctx;
    uint64_t errors;
    uint64_t reloads, reload_failures; /* successful reloads; refused ones (the old code kept) */
    uint64_t halts;                    /* on_halt calls */
    /* timers (th/timers.lua keeps them; the host only knows when the next is due, to wake for it) */
    int64_t timer_due_ns;              /* host clock; INT64_MAX: none */
    int32_t timers;
    uint64_t timers_fired;
    void (*on_timers)(void *ctx, struct th_strategy *s); /* the due time changed */
    void *on_timers_ctx;
    double budget_ms;
    int32_t m_errors, m_reloads, m_reload_failures, m_cb_ns;
    /* Shadow reload (lua_shadow.c): a live strategy's shadow runs beside it on the same events,
     * its order intents recorded and never sent; a shadow points back at its live strategy. */
    struct th_strategy *shadow;
    struct th_strategy *shadow_of;
    int64_t timer_own_due_ns;          /* this strategy's own timers; timer_due_ns adds its shadow's */
    /* Strategy instances (config `strategies`): the session holds the head (instance 1); the
     * others are chained from it. Each hears the events of its own symbols only. */
    int instance;                      /* 1-based index in cfg.instances */
    struct th_strategy *head, *next;
    bool fresh;                        /* added by a reload: its on_start is due (th_strategy_start_added) */
    struct th_strategy *retired;       /* on the head: instances a reload removed, until th_strategy_retire */
    struct { char v[48]; bool trades; } symbols[64]; /* pairs it trades, then pairs it only reads */
    int nsymbols;
    /* strategy_over_budget{strategy,callback}: registered at a callback's first over-budget call */
    struct { const char *callback; int32_t metric; } over[16];
    int32_t nover;
} th_strategy;

/* Which strategy callback is running now, for the signal path (app/shutdown.c): set around every
 * strategy call, read from a signal handler when the host must say what it is stuck in. Plain
 * stores of pointers and an int64 are single instructions on the hosts we build for; the strings
 * are the strategy's name and literal callback names, alive for the whole session. */
typedef struct th_lua_running {
    const char *volatile strategy; /* NULL: no strategy callback running */
    const char *volatile callback;
    volatile int64_t since_ticks;  /* th_ticks() at the call (core/clock.h) */
    char pair[48];                 /* the callback's symbol argument (on_book, on_book_health); "" none */
    volatile uint32_t seq;         /* odd while the fields change: the watchdog thread (shutdown.c)
                                    * reads a whole snapshot or retries (a seqlock) */
} th_lua_running;
extern th_lua_running th_lua_now;

int th_lua_open(th_lua *lh, const char *home, const char **err);
void th_lua_close(th_lua *lh);

/* The one protected call: function + nargs on the stack; runs with a traceback handler. On error
 * returns -1 with the message and traceback in lh->error (stack left balanced: nothing pushed). */
int th_lua_pcall(th_lua *lh, int nargs, int nresults);

/* Load and validate a config file; keeps it in lh->config_ref. err points to lh->error. With dir
 * (the config file's absolute directory), its relative paths are resolved against it. */
int th_lua_load_config(th_lua *lh, const char *path, const char *dir, const char **err);
/* `--set key.path=value` overrides for the next th_lua_load_config: applied to the table the
 * config file built, before validation (scripts/th/config.lua apply_overrides). */
void th_lua_config_overrides(th_lua *lh, const char *const *sets, int n);

/* Read config values by dotted path ("strategy.tick_ms"). Missing or mistyped -> default. */
double th_lua_cfg_number(th_lua *lh, const char *path, double dflt);
bool th_lua_cfg_bool(th_lua *lh, const char *path, bool dflt);
/* Copies into buf (NUL-terminated); returns false and leaves buf empty if missing. */
bool th_lua_cfg_string(th_lua *lh, const char *path, char *buf, size_t cap);
int th_lua_cfg_pair_count(th_lua *lh);
/* Each string key of the table at path whose value is a string or number: fn(ctx, key, value
 * text), in the table's order; stops at fn's first nonzero (positive), which it returns. 0 when
 * done, -1 when path is no table. */
int th_lua_cfg_each(th_lua *lh, const char *path, int (*fn)(void *ctx, const char *key, const char *value), void *ctx);
bool th_lua_cfg_pair_symbol(th_lua *lh, int index0, char *buf, size_t cap, bool *enabled);

/* Resolve a strategy module path from the config (strategy.module or strategies/<name>.lua). */
int th_strategy_load(th_lua *lh, th_strategy *s, const char **err);
void th_strategy_release(th_lua *lh, th_strategy *s);

/* Dispatch a callback by name. Arguments after (state, ctx) are pushed by the caller and consumed.
 * Returns 0 (done or callback absent or strategy faulted), -1 when the callback raised: then the
 * strategy is faulted, the error is logged with its traceback and counted. */
int th_strategy_call(th_lua *lh, th_strategy *s, const char *cb, int nargs);
/* The per-event form: cb(state, ctx, symbol) with the symbol's string kept by slot (the
 * instrument index), so the call pushes no new string. Same results as th_strategy_call. */
int th_strategy_call_symbol(th_lua *lh, th_strategy *s, const char *cb, int32_t slot, const char *symbol);
/* Run the strategy's timers due at the host clock's now, earliest first, each in the strategy's
 * error isolation (a raising timer faults the strategy like a raising callback). Cheap when none
 * is due: one comparison. */
int th_strategy_timers_run(th_lua *lh, th_strategy *s);
static inline bool th_strategy_timers_due(const th_strategy *s, int64_t now) { return s->timer_due_ns <= now; }

/* Instances: whether s hears the events of symbol (always with one instance); whether every
 * instance of s's group is faulted (the loop then has no strategy to wake for). */
bool th_strategy_hears(const th_strategy *s, const char *symbol);
bool th_strategy_group_faulted(const th_strategy *s);
/* The order entry points: may the running strategy code trade symbol? With several instances
 * only the instance that lists the pair in its `pairs` may (*owner: that instance's id, or NULL
 * when none trades it); the REPL and a single strategy may trade every pair. */
bool th_lua_running_may_trade(const char *symbol, const char **owner);
/* The instance whose code runs now, with several instances (NULL otherwise). */
const th_strategy *th_lua_running_instance(void);

/* Faulted strategies are listed by th_strategy_fault_get (tradehost.h: th.risk.status(), /health). */
int th_strategy_faulted_count(void);

/* A reload: with cfg_path, the config file (validated, then diffed against the running one) and
 * the code as one transaction (th/runtime.lua reload_all); without, the code alone. Recompile,
 * check(), parameters against the new defaults, migrate(state); on success the module (and the
 * config table) are swapped and ctx refilled in place, and msg says what changed; on failure
 * nothing changes, msg has the error (file and key, or file:line) and the old code keeps running.
 * 0 or -1; msg may be NULL. */
int th_strategy_reload(th_lua *lh, th_strategy *s, const char *cfg_path, const char *cfg_dir, char *msg, size_t cap);

/* Instances a reload added or removed (lua_instances.c; docs/config.md "Several strategies"): a
 * reload of a config with `strategies` matches the instances by id; one the config no longer lists
 * leaves the chain for head->retired, one it adds joins it (fresh: compiled, checked, its state and
 * ctx made, not started). When the head's own instance is removed, the next one moves into the
 * head's struct (the session holds its address). After the reload, the session:
 *  - th_strategy_retire: each removed instance's on_stop (as itself: its store, its pairs), then
 *    gone(ctx, r) (the session cancels the orders of the pairs r traded), then its timers, its
 *    th.status() entry and its references dropped; its th.store keys and journal records stay;
 *  - th_strategy_start_added: once the order side and the market data have the new config (its
 *    pairs and risk share), each added instance's on_start. */
void th_strategy_retire(th_lua *lh, th_strategy *head, void (*gone)(void *ctx, const th_strategy *r), void *ctx);
void th_strategy_start_added(th_lua *lh, th_strategy *head);

/* Shadow reload (lua_shadow.c, th/shadow.lua): the config and code as a reload would take them,
 * compiled and started beside the live strategy s on a deep copy of its state (migrate(copy) runs
 * on it); from then on every callback and timer of s runs on the shadow too, whose order intents
 * (th.orders.place/cancel/cancel_all, th.quotes.set, th.risk.kill/rearm/set_reference) are
 * recorded and never sent, and compared with s's after each event, per pair (the first max_diffs
 * differences of each pair kept). A shadow's fault stops the shadow only. Promote: the shadow's
 * module and config replace s's as a reload does (migrate(state) on the live state, as one
 * transaction; counted as a reload); on failure nothing changes and the shadow keeps running.
 * Discard: the shadow is dropped. Both log the differences. 0 or -1 with msg. */
int th_strategy_shadow_start(th_lua *lh, th_strategy *s, const char *cfg_path, const char *cfg_dir, int max_diffs,
                             char *msg, size_t cap);
int th_strategy_shadow_promote(th_lua *lh, th_strategy *s, char *msg, size_t cap);
int th_strategy_shadow_discard(th_lua *lh, th_strategy *s, const char *why, char *msg, size_t cap);

/* The session's reload entry point, for the REPL's reload() (th.host.reload in Lua, called by
 * th/repl.lua once the chunk has ended, outside its budget): 0 and what changed in msg, or -1 and
 * the error. */
typedef int (*th_lua_reload_fn)(void *ctx, char *msg, size_t cap);
void th_lua_on_reload(th_lua_reload_fn fn, void *ctx);
/* The same for the shadow operations (th.host.shadow(op, max_diffs), called by th/repl.lua after
 * the chunk): op is "start", "promote" or "discard". */
typedef int (*th_lua_shadow_fn)(void *ctx, const char *op, int max_diffs, char *msg, size_t cap);
void th_lua_on_shadow(th_lua_shadow_fn fn, void *ctx);

/* REPL chunks, evaluated by th/repl.lua in this state. th_lua_repl_env makes one client's
 * environment (full: globals readable, its own assignments kept, `state` and `ctx` the strategy's;
 * readonly: the sandbox of th/repl.lua) and returns a registry ref, -1 on failure (release with
 * th_lua_unref). th_lua_repl_eval calls th.repl[fn](env, text, cap) under th.budget
 * (instructions, time, memory): fn "eval" runs a chunk, "eval_json" runs it for the machine mode,
 * "complete" and "complete_json" list the completions of a word. out gets the answer, any bytes
 * (NUL included), *out_n long and cut to cap with a note. *incomplete: the chunk ends mid-statement
 * and wants more lines. */
int th_lua_repl_env(th_lua *lh, th_strategy *s, bool readonly);
int th_lua_repl_eval(th_lua *lh, const char *fn, int env_ref, const char *chunk, size_t len, char *out, size_t cap,
                     size_t *out_n, bool *incomplete);
void th_lua_unref(th_lua *lh, int ref);

#endif
