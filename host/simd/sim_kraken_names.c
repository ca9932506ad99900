/* sim_kraken_names.c — Kraken's REST names for assets and pairs, derived from v2 instrument data.
 *
 * The v2 API names assets as people do (BTC, DOGE, XMR, USD); the REST API, and so every REST
 * client, uses the older ids: the assets listed before 2018 carry an X (crypto) or Z (fiat) prefix
 * (XXBT, XXMR, ZUSD), Bitcoin is XBT and Dogecoin XDG, and a pair of two such assets is named by
 * their ids joined (XXMRZUSD), any other pair by the altnames joined (KSMXBT, WAVESEUR). The table
 * below is Kraken's list of prefixed assets; anything else keeps its v2 name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_kraken.h"

static const struct { const char *v2, *id, *alt; bool fiat; } LEGACY[] = {
    {"BTC", "XXBT", "XBT", false},  {"ETH", "XETH", "ETH", false},   {"XMR", "XXMR", "XMR", false},
    {"LTC", "XLTC", "LTC", false},  {"XRP", "XXRP", "XRP", false},   {"XLM", "XXLM", "XLM", false},
    {"ZEC", "XZEC", "ZEC", false},  {"ETC", "XETC", "ETC", false},   {"REP", "XREP", "REP", false},
    {"MLN", "XMLN", "MLN", false},  {"DOGE", "XXDG", "XDG", false},  {"USD", "ZUSD", "USD", true},
    {"EUR", "ZEUR", "EUR", true},   {"GBP", "ZGBP", "GBP", true},    {"JPY", "ZJPY", "JPY", true},
    {"CAD", "ZCAD", "CAD", true},   {"AUD", "ZAUD", "AUD", true},
};
static const char *const OTHER_FIAT[] = {"CHF", "AED", NULL};

static int32_t asset_add(kr_state *k, const char *v2)
{
    for (int32_t i = 0; i < k->nassets; i++)
        if (strcmp(k->assets[i].v2, v2) == 0) return i;
    kr_asset *a = realloc(k->assets, sizeof *a * (size_t)(k->nassets + 1));
    if (!a) return -1;
    k->assets = a;
    kr_asset *x = &a[k->nassets];
    memset(x, 0, sizeof *x);
    snprintf(x->v2, sizeof x->v2, "%s", v2);
    snprintf(x->id, sizeof x->id, "%s", v2);
    snprintf(x->alt, sizeof x->alt, "%s", v2);
    for (size_t i = 0; i < sizeof LEGACY / sizeof *LEGACY; i++)
        if (strcmp(LEGACY[i].v2, v2) == 0) {
            snprintf(x->id, sizeof x->id, "%s", LEGACY[i].id);
            snprintf(x->alt, sizeof x->alt, "%s", LEGACY[i].alt);
            x->fiat = LEGACY[i].fiat;
        }
    for (int i = 0; OTHER_FIAT[i]; i++)
        if (strcmp(OTHER_FIAT[i], v2) == 0) x->fiat = true;
    return k->nassets++;
}

static bool prefixed(const kr_asset *a) { return strlen(a->id) == 4 && strcmp(a->id, a->alt) != 0; }

int kr_names_build(simd *s, const char **err)
{
    kr_state *k = kr_of(s);
    const th_instruments *ins = &s->feed.instruments;
    k->pairs = calloc((size_t)ins->n, sizeof *k->pairs);
    if (!k->pairs) { *err = "out of memory"; return -1; }
    k->npairs = ins->n;
    for (int32_t i = 0; i < ins->n; i++) {
        const th_instrument *in = &ins->v[i];
        kr_pair *p = &k->pairs[i];
        if (!in->base[0] || !in->quote[0]) { *err = "--instruments: an instrument without base or quote asset"; return -1; }
        p->base = asset_add(k, in->base);
        p->quote = asset_add(k, in->quote);
        if (p->base < 0 || p->quote < 0) { *err = "out of memory"; return -1; }
        const kr_asset *b = &k->assets[p->base], *q = &k->assets[p->quote];
        snprintf(p->alt, sizeof p->alt, "%s%s", b->alt, q->alt);
        snprintf(p->wsname, sizeof p->wsname, "%s/%s", b->alt, q->alt);
        if (prefixed(b) && prefixed(q)) snprintf(p->id, sizeof p->id, "%s%s", b->id, q->id);
        else snprintf(p->id, sizeof p->id, "%s", p->alt);
    }
    return 0;
}

void kr_names_free(kr_state *k)
{
    free(k->assets);
    free(k->pairs);
    k->assets = NULL;
    k->pairs = NULL;
}

static bool eqn(const char *a, const char *b, size_t n) { return strlen(a) == n && strncasecmp(a, b, n) == 0; }

int32_t kr_pair_find(simd *s, const char *name, size_t n)
{
    int32_t i = th_instruments_find(&s->feed.instruments, name, n);
    if (i >= 0) return i;
    kr_state *k = kr_of(s);
    for (i = 0; i < k->npairs; i++) {
        const kr_pair *p = &k->pairs[i];
        if (eqn(p->id, name, n) || eqn(p->alt, name, n) || eqn(p->wsname, name, n)) return i;
    }
    return -1;
}

int32_t kr_asset_find(const kr_state *k, const char *name, size_t n)
{
    for (int32_t i = 0; i < k->nassets; i++) {
        const kr_asset *a = &k->assets[i];
        if (eqn(a->id, name, n) || eqn(a->alt, name, n) || eqn(a->v2, name, n)) return i;
    }
    return -1;
}
