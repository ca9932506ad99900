/* balances.c — the account's balances per asset (see balances.h). */
#include "balances.h"

#include "../include/tradehost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void th_balances_init(th_balances *b) { memset(b, 0, sizeof *b); }

void th_balances_free(th_balances *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* Decimal digits of |m| (0 for 0). */
static int32_t digits_of(th_money m)
{
    int32_t d = 0;
    for (m = th_money_abs(m); m > 0; m /= 10) d++;
    return d;
}

th_money th_balance_rescale(th_money m, int32_t from, int32_t to)
{
    if (to >= from) return m * th_money_pow10(to - from);
    return m / th_money_pow10(from - to);
}

int th_balance_parse(const char *s, size_t n, th_money *out, int32_t *scale_io, const char **err)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    th_money m = 0;
    int32_t sig = 0, frac = 0, ndig = 0;
    bool dot = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !dot) { dot = true; continue; }
        if (c < '0' || c > '9') break;
        ndig++;
        if (dot) frac++;
        if (m == 0 && c == '0') continue; /* leading zeros are not significant */
        if (++sig > TH_MONEY_MAX_SCALE) { *err = "a balance with more than 38 significant digits"; return -1; }
        m = m * 10 + (c - '0');
    }
    if (ndig == 0) { *err = "a balance that is not a number"; return -1; }
    int32_t exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = false;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        if (i >= n) { *err = "a balance that is not a number"; return -1; }
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            exp = exp * 10 + (s[i] - '0');
            if (exp > 400) { *err = "a balance whose exponent is out of range"; return -1; }
        }
        if (eneg) exp = -exp;
    }
    if (i != n) { *err = "a balance that is not a number"; return -1; }
    int32_t dec = frac - exp, rc = 0;
    if (dec < 0) {
        if (m != 0 && digits_of(m) - dec > TH_MONEY_MAX_SCALE) { *err = "a balance too large to hold"; return -1; }
        if (m != 0) m *= th_money_pow10(-dec);
        dec = 0;
    }
    if (dec > TH_BAL_MAX_SCALE) {
        /* past what we keep: rounded half away from zero, and said so */
        int32_t cut = dec - TH_BAL_MAX_SCALE;
        th_money p = cut > TH_MONEY_MAX_SCALE ? 0 : th_money_pow10(cut);
        th_money q = p ? m / p : 0, r = p ? m % p : m;
        if (p && r * 2 >= p) q++;
        if (r != 0) rc = 1;
        m = q;
        dec = TH_BAL_MAX_SCALE;
    }
    int32_t scale = *scale_io > dec ? *scale_io : dec;
    if (scale > TH_BAL_MAX_SCALE) scale = TH_BAL_MAX_SCALE;
    if (m != 0 && digits_of(m) + (scale - dec) > TH_MONEY_MAX_SCALE) { *err = "a balance too large to hold"; return -1; }
    m *= th_money_pow10(scale - dec);
    *out = neg ? -m : m;
    *scale_io = scale;
    return rc;
}

static th_balance *find_mut(th_balances *b, const char *asset)
{
    for (int32_t i = 0; i < b->n; i++)
        if (strcmp(b->v[i].asset, asset) == 0) return &b->v[i];
    return NULL;
}

const th_balance *th_balances_find(const th_balances *b, const char *asset)
{
    if (!asset) return NULL;
    return find_mut((th_balances *)b, asset);
}

static th_balance *entry(th_balances *b, const char *asset, const char **err)
{
    if (!asset || !asset[0] || strlen(asset) >= sizeof b->v[0].asset) { *err = "an asset name that is empty or longer than 15"; return NULL; }
    th_balance *x = find_mut(b, asset);
    if (x) return x;
    if (b->n >= TH_BAL_ASSETS) { *err = "more assets than the balance store holds (1024)"; return NULL; }
    if (b->n == b->cap) {
        int32_t cap = b->cap ? b->cap * 2 : 32;
        th_balance *v = realloc(b->v, sizeof *v * (size_t)cap);
        if (!v) { *err = "out of memory"; return NULL; }
        b->v = v;
        b->cap = cap;
    }
    x = &b->v[b->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->asset, sizeof x->asset, "%s", asset);
    return x;
}

/* Raise x to `scale` (exact: a multiplication), refusing what would not fit. */
static int raise_to(th_balance *x, int32_t scale, const char **err)
{
    if (scale <= x->scale) return 0;
    int32_t up = scale - x->scale;
    if ((x->total && digits_of(x->total) + up > TH_MONEY_MAX_SCALE) || (x->held && digits_of(x->held) + up > TH_MONEY_MAX_SCALE)) {
        *err = "a balance too large to hold at the asset's decimals";
        return -1;
    }
    x->total *= th_money_pow10(up);
    x->held *= th_money_pow10(up);
    x->scale = scale;
    return 0;
}

int th_balances_set(th_balances *b, const char *asset, int32_t scale, const th_money *total, const th_money *held, int64_t ts_ns,
                    const char **err)
{
    if (scale < 0 || scale > TH_BAL_MAX_SCALE) { *err = "a balance scale out of range (0..24)"; b->refused++; return -1; }
    bool fresh = !find_mut(b, asset);
    th_balance *x = entry(b, asset, err);
    if (!x) { b->refused++; return -1; }
    th_balance keep = *x;
    if (raise_to(x, scale, err) != 0) { *x = keep; b->refused++; return -1; }
    /* values at a coarser scale than the asset's are raised exactly */
    if (total) x->total = th_balance_rescale(*total, scale, x->scale);
    if (held) x->held = th_balance_rescale(*held, scale, x->scale);
    if (fresh || x->total != keep.total || x->held != keep.held) {
        x->ts_ns = ts_ns;
        b->updated_ns = ts_ns;
        b->updates++;
    }
    return 0;
}

int th_balances_set_text(th_balances *b, const char *asset, const char *total, size_t total_n, const char *held, size_t held_n,
                         int64_t ts_ns, const char **err)
{
    static char msg[160];
    const th_balance *cur = th_balances_find(b, asset);
    int32_t scale = cur ? cur->scale : 0;
    th_money t = 0, h = 0;
    int rt = 0, rh = 0;
    if (total && (rt = th_balance_parse(total, total_n, &t, &scale, err)) < 0) goto bad;
    if (held && (rh = th_balance_parse(held, held_n, &h, &scale, err)) < 0) goto bad;
    /* the total may have been parsed at a coarser scale than the held raised it to */
    if (total && held) {
        int32_t ts = scale;
        if (th_balance_parse(total, total_n, &t, &ts, err) < 0) goto bad;
    }
    if (rt > 0 || rh > 0) b->rounded++;
    return th_balances_set(b, asset, scale, total ? &t : NULL, held ? &h : NULL, ts_ns, err);
bad:
    snprintf(msg, sizeof msg, "%s: %s", asset ? asset : "?", *err);
    *err = msg;
    b->refused++;
    return -1;
}

/* need > avail, each at its own scale, without scaling either up (no overflow): for an integer n
 * and a real x, n > x iff n > floor(x), and x > m iff ceil(x) > m. */
static bool exceeds(th_money need, int32_t need_scale, th_money avail, int32_t avail_scale)
{
    if (need <= 0) return false;
    if (avail <= 0) return true;
    if (need_scale == avail_scale) return need > avail;
    if (need_scale < avail_scale) return need > avail / th_money_pow10(avail_scale - need_scale);
    th_money p = th_money_pow10(need_scale - avail_scale);
    return (need + p - 1) / p > avail;
}

int32_t th_balances_gate(const th_balances *b, const th_instrument *in, int32_t side, int64_t price, int64_t qty)
{
    if (!b || !b->known || !in || !in->base[0] || !in->quote[0]) return TH_RISK_OK;
    bool buy = side == TH_BID;
    const th_balance *x = th_balances_find(b, buy ? in->quote : in->base);
    th_money avail = x ? th_balance_available(x) : 0;
    int32_t avail_scale = x ? x->scale : 0;
    th_money need = buy ? th_money_mul(qty, price) : (th_money)qty;
    int32_t need_scale = buy ? in->price_dec + in->qty_dec : in->qty_dec;
    return exceeds(need, need_scale, avail, avail_scale) ? TH_RISK_INSUFFICIENT_BALANCE : TH_RISK_OK;
}

void th_balances_mark_known(th_balances *b, const char *source, int64_t ts_ns)
{
    b->known = true;
    b->snapshots++;
    snprintf(b->source, sizeof b->source, "%s", source ? source : "");
    if (ts_ns > b->updated_ns) b->updated_ns = ts_ns;
}

void th_balances_forget(th_balances *b)
{
    b->n = 0;
    b->known = false;
}
