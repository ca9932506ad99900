/* kraken_balances.h — Kraken spot balances into the host's store (core/balances.h).
 *
 *   - REST BalanceEx ({"XXBT":{"balance":"1.5","hold_trade":"0.1"},...}): at start and at each
 *     reconciliation, the whole account: totals (balance) and what open orders hold (hold_trade),
 *     keyed by REST asset ids, stored under the v2 names the instruments use (XXBT -> BTC). Kraken
 *     pushes no hold changes, so BalanceEx is also asked again (at most every few seconds) after
 *     the account moved: those answers update held only while the push channel owns the totals.
 *   - WS v2 `balances` (subscribed with snapshot on the private connection): the snapshot gives
 *     every asset's total (its spot wallet), then each ledger entry carries the balance after it
 *     (a trade: the quote and the base entry, the fee included), which becomes the total.
 * Assets a snapshot or a full BalanceEx does not name hold nothing (total 0). */
#ifndef TH_KRAKEN_BALANCES_H
#define TH_KRAKEN_BALANCES_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/balances.h"
#include "../core/json.h"

/* A BalanceEx result object into b: totals and held (totals false: held only). Returns the number
 * of assets read, or -1 when the answer is not an object of assets. */
int th_kraken_balances_rest(th_balances *b, const th_json *j, int result, bool totals, int64_t now_ns);
/* A `balances` channel frame (snapshot or update). Returns 1 for a snapshot, 0 for an update,
 * -1 for a frame that is neither. */
int th_kraken_balances_ws(th_balances *b, const th_json *j, int64_t now_ns);

#endif
