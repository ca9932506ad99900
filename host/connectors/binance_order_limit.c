/* binance_order_limit.c — Binance's ORDERS limits (new orders per account per 10 s window and per
 * day) on our side (see binance_order_limit.h). */
#include "binance_order_limit.h"

#include <time.h>

#include "../core/log.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The windows turn: their counts start again. */
static void orders_roll(th_binance_spot *k, int64_t now_ms)
{
    if (k->orders_win10 != now_ms / 10000) { k->orders_win10 = now_ms / 10000; k->orders_n10 = 0; }
    if (k->orders_day != now_ms / 86400000) { k->orders_day = now_ms / 86400000; k->orders_nday = 0; }
}

/* A place may go: no limit announced, or room left in both windows (then it is counted). */
bool th_binance_orders_take(th_binance_spot *k)
{
    int64_t now_ms = wall_ms();
    if (now_ms < k->orders_hold_ms) {
        if (k->orders_held++ % 100 == 0)
            th_logf(TH_LOG_WARN, "binance private: a place held back: the venue refused a new order -1015 (not sent)",
                    "wait_ms=%lld held=%llu", (long long)(k->orders_hold_ms - now_ms), (unsigned long long)k->orders_held);
        return false;
    }
    if (k->orders_limit_10s <= 0 && k->orders_limit_day <= 0) return true;
    orders_roll(k, now_ms);
    if ((k->orders_limit_10s > 0 && k->orders_n10 >= k->orders_limit_10s) || (k->orders_limit_day > 0 && k->orders_nday >= k->orders_limit_day)) {
        if (k->orders_held++ % 100 == 0)
            th_logf(TH_LOG_WARN, "binance private: a place held back: Binance's order count limit is reached (not sent)",
                    "count_10s=%d limit_10s=%d count_day=%d limit_day=%d held=%llu", k->orders_n10, k->orders_limit_10s, k->orders_nday,
                    k->orders_limit_day, (unsigned long long)k->orders_held);
        return false;
    }
    k->orders_n10++;
    k->orders_nday++;
    return true;
}

void th_binance_orders_refused(th_binance_spot *k, int64_t retry_ns)
{
    int64_t now_ms = wall_ms(), until = now_ms + retry_ns / 1000000;
    if (until < now_ms + 10000 - now_ms % 10000) until = now_ms + 10000 - now_ms % 10000; /* the window's end at least */
    if (until > k->orders_hold_ms) k->orders_hold_ms = until;
    th_logf(TH_LOG_WARN, "binance private: -1015: new orders wait (cancels go on)", "wait_ms=%lld", (long long)(k->orders_hold_ms - now_ms));
}

/* {"rateLimitType":"ORDERS","interval":"SECOND"|"DAY","intervalNum":10|1,"limit":L,"count":C}: the
 * venue's count of our account's new orders in the window it names (ours in flight are in it or will
 * be: the larger of its count and ours is kept) and its limit. False: not an ORDERS entry. */
bool th_binance_orders_note(th_binance_spot *k, const th_json *j, int e)
{
    int64_t c, lim, num;
    if (!th_json_eq(j, th_json_get(j, e, "rateLimitType"), "ORDERS")) return false;
    if (th_json_i64(j, th_json_get(j, e, "count"), &c) || th_json_i64(j, th_json_get(j, e, "limit"), &lim) ||
        th_json_i64(j, th_json_get(j, e, "intervalNum"), &num) || lim <= 0 || c < 0)
        return true;
    orders_roll(k, wall_ms());
    if (th_json_eq(j, th_json_get(j, e, "interval"), "SECOND") && num == 10) {
        k->orders_limit_10s = (int32_t)lim;
        if (c > k->orders_n10) k->orders_n10 = (int32_t)c;
    } else if (th_json_eq(j, th_json_get(j, e, "interval"), "DAY") && num == 1) {
        k->orders_limit_day = (int32_t)lim;
        if (c > k->orders_nday) k->orders_nday = (int32_t)c;
    }
    return true;
}
