/* tradehost.h — the public C surface that Lua strategies may call through LuaJIT FFI.
 *
 * This header is the single source of the FFI surface: tools/gen_cdef.lua copies the block between
 * the th:ffi markers into scripts/th/cdef.lua (committed), the build fails when that copy is stale,
 * and a test compares every struct's size and field offsets between C and ffi. Rules for anything
 * added here (they are what makes the boundary safe to call from a hot loop):
 *   - functions return int: 0 on success, negative on failure; results go to out-parameters;
 *   - errors are static strings through `const char **err`, never allocated;
 *   - no allocation that Lua must free, no callback into Lua, no longjmp across the boundary;
 *   - prices and sizes cross in human units (double) and are converted to ticks/lots inside C.
 * Only plain C declarations inside the markers: no macros, no #include (the generator copies text). */
#ifndef TRADEHOST_H
#define TRADEHOST_H

#include <stdint.h>

/* th:ffi-begin */
enum {
    TH_LOG_DEBUG = 0,
    TH_LOG_INFO = 1,
    TH_LOG_WARN = 2,
    TH_LOG_ERROR = 3
};

enum {
    TH_METRIC_COUNTER = 0,
    TH_METRIC_GAUGE = 1,
    TH_METRIC_HISTOGRAM = 2
};

enum {
    TH_BID = 0,
    TH_ASK = 1
};

/* Book health: only OK is tradable. */
enum {
    TH_BOOK_EMPTY = 0,
    TH_BOOK_OK = 1,
    TH_BOOK_STALE = 2,
    TH_BOOK_GAPPED = 3,
    TH_BOOK_CHECKSUM_FAILED = 4,
    TH_BOOK_RESYNCING = 5
};

/* A snapshot of one metric; histogram quantiles are in the unit observed (ns by convention). */
typedef struct th_metric_view {
    int32_t kind;
    int32_t reserved;
    double value;
    double count;
    double sum;
    double p50;
    double p90;
    double p99;
    double max;
} th_metric_view;

/* What the running host is: Lua reads it once at load time. */
typedef struct th_host_info {
    char version[16];
    char mode[16];
    int32_t virtual_clock;
    int32_t pid;
    int64_t started_ns;
} th_host_info;

/* Top of one book, in human units (0 where a side is empty). */
typedef struct th_book_top {
    double bid;
    double bid_qty;
    double ask;
    double ask_qty;
    double mid;
    double spread;
    int64_t last_update_ns;
    int32_t health;
    int32_t bid_levels;
    int32_t ask_levels;
    int32_t reserved;
} th_book_top;

typedef struct th_level {
    double price;
    double qty;
} th_level;

int th_version(const char **out);
int th_host_info_get(th_host_info *out);

int th_log_emit(int32_t level, const char *msg, const char *fields);

int th_clock_now(int64_t *ns_out, int32_t *is_virtual_out);

int th_metric_register(const char *name, int32_t kind, int32_t *id_out, const char **err);
int th_metric_add(int32_t id, double v);
int th_metric_set(int32_t id, double v);
int th_metric_observe(int32_t id, int64_t v);
int th_metric_read(int32_t id, th_metric_view *out, const char **err);
int th_book_find(const char *symbol, int32_t *id_out, const char **err);
int th_book_top_get(int32_t id, th_book_top *out, const char **err);
int th_book_levels_get(int32_t id, int32_t side, int32_t n, th_level *out, int32_t *n_out, const char **err);
int th_book_vwap_get(int32_t id, int32_t side, double qty, double *vwap, double *filled, const char **err);
int th_book_depth_get(int32_t id, int32_t side, double bps, double *qty, const char **err);
int th_book_microprice_get(int32_t id, double *out, const char **err);
int th_book_imbalance_get(int32_t id, int32_t levels, double *out, const char **err);
int th_book_health_get(int32_t id, int32_t *health, const char **reason, const char **err);
/* th:ffi-end */

#endif
