/* binance_balances.h — Binance spot balances into the host's store (core/balances.h).
 *
 *   - `account.status` (WebSocket API; the same document as REST GET /api/v3/account): at start
 *     and at each reconciliation, the whole account: per asset `free` and `locked`, so total =
 *     free + locked and held = locked (what open orders hold). Binance leaves out assets at zero
 *     (omitZeroBalances): an asset the answer does not name holds nothing.
 *   - user data stream `outboundAccountPosition` (after every order event and fill that moved a
 *     balance, the assets it moved, absolute free/locked): each asset's figures replace the
 *     store's. `balanceUpdate` (a deposit, withdrawal or transfer: a delta) is followed by an
 *     outboundAccountPosition with the result, so it is not applied twice.
 * Order: the answer to account.status may arrive after a push that is newer than it (two kinds of
 * message on one connection, the answer computed first): each asset keeps the venue's time of its
 * figures (updateTime / u, in ns) and a snapshot older than an asset's figures leaves that asset. */
#ifndef TH_BINANCE_BALANCES_H
#define TH_BINANCE_BALANCES_H

#include <stdint.h>

#include "../core/balances.h"
#include "../core/json.h"

/* An account.status result object into b. Returns the number of assets read, or -1. */
int th_binance_balances_account(th_balances *b, const th_json *j, int result);
/* An outboundAccountPosition event object (`ev`). Returns the number of assets read, or -1. */
int th_binance_balances_position(th_balances *b, const th_json *j, int ev);

#endif
