/* trading_config.h — the order side's settings, read from the config (`risk`, `quotes`,
 * `session`, `pairs`, `storage.fsync`, the paper venue's `venue.*` fees, queue model and latency).
 *
 * Why apart from trading.c: the config keys and their defaults are a table a reader looks up
 * ("what does risk.max_pair_pct default to?"); the order side's life (open, turn, close) is a
 * sequence. Per-pair limits and currency rates are applied per instrument range, because an
 * instrument update can add instruments mid-session and they get the same settings as if they had
 * been there at start. Nothing here keeps state: every function reads the config and writes the
 * flow (or a buffer) it is given. */
#ifndef TH_TRADING_CONFIG_H
#define TH_TRADING_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "../core/order_flow.h"
#include "../lua/lua_host.h"
#include "../venues/paper_venue.h"

/* The flow's settings: risk limits, the pending timeout, unknown orders, the trading day, how long
 * finished orders are kept, the venue rate limit and the quote executor's tolerances. */
void th_trading_cfg_flow(th_lua *lua, th_flow_cfg *c);
/* Per-pair limits in instrument units for instruments [from, n): the global default, overridden by
 * the pair's own keys. */
void th_trading_cfg_pair_limits(th_flow *f, th_lua *lua, int32_t from);
/* Portfolio totals in one currency (`currency`, from risk.currency): each quote currency's rate
 * from risk.rates, for the quote currencies of instruments [from, n) the flow has no rate for. */
void th_trading_cfg_rates(th_flow *f, th_lua *lua, const char *currency, int32_t from);
/* A config reload: the rates risk.rates gives now, over the ones in use. */
void th_trading_cfg_rates_update(th_flow *f, th_lua *lua, const char *currency);
/* The client-id prefix: session.id_prefix (default "th") then the start time in base 36, so ids
 * differ across restarts. */
void th_trading_cfg_id_prefix(th_lua *lua, int64_t wall_ms, char *out, size_t cap);
/* risk.currency, default USD. */
void th_trading_cfg_currency(th_lua *lua, char *out, size_t cap);
/* storage.fsync: "turn" (default), "always" or "never". */
void th_trading_cfg_fsync(th_lua *lua, char *out, size_t cap);

/* The paper venue's settings (venue.maker_fee_bps, venue.taker_fee_bps, venue.fee_bps for both,
 * venue.queue_model, venue.latency), with the run's seed; instruments, depth and books are the
 * caller's. */
void th_trading_cfg_paper(th_lua *lua, uint64_t seed, th_paper_cfg *c);

#endif
