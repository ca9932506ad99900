/* kraken_names.c — Kraken's REST asset and pair names (see kraken_names.h). */
#include "kraken_names.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Kraken's list of prefixed assets. */
static const struct { const char *v2, *id, *alt; bool fiat; } LEGACY[] = {
    {"BTC", "XXBT", "XBT", false},  {"ETH", "XETH", "ETH", false},   {"XMR", "XXMR", "XMR", false},
    {"LTC", "XLTC", "LTC", false},  {"XRP", "XXRP", "XRP", false},   {"XLM", "XXLM", "XLM", false},
    {"ZEC", "XZEC", "ZEC", false},  {"ETC", "XETC", "ETC", false},   {"REP", "XREP", "REP", false},
    {"MLN", "XMLN", "MLN", false},  {"DOGE", "XXDG", "XDG", false},  {"USD", "ZUSD", "USD", true},
    {"EUR", "ZEUR", "EUR", true},   {"GBP", "ZGBP", "GBP", true},    {"JPY", "ZJPY", "JPY", true},
    {"CAD", "ZCAD", "CAD", true},   {"AUD", "ZAUD", "AUD", true},
};
static const char *const OTHER_FIAT[] = {"CHF", "AED", NULL};

void th_kraken_asset_names(const char *v2, char *id, size_t id_cap, char *alt, size_t alt_cap, bool *fiat)
{
    snprintf(id, id_cap, "%s", v2);
    snprintf(alt, alt_cap, "%s", v2);
    *fiat = false;
    for (size_t i = 0; i < sizeof LEGACY / sizeof *LEGACY; i++)
        if (strcmp(LEGACY[i].v2, v2) == 0) {
            snprintf(id, id_cap, "%s", LEGACY[i].id);
            snprintf(alt, alt_cap, "%s", LEGACY[i].alt);
            *fiat = LEGACY[i].fiat;
        }
    for (int i = 0; OTHER_FIAT[i]; i++)
        if (strcmp(OTHER_FIAT[i], v2) == 0) *fiat = true;
}

static bool prefixed(const char *id, const char *alt) { return strlen(id) == 4 && strcmp(id, alt) != 0; }

void th_kraken_pair_names(const char *base, const char *quote, char *id, size_t id_cap, char *alt, size_t alt_cap, char *wsname,
                          size_t ws_cap)
{
    char bid[16], balt[16], qid[16], qalt[16];
    bool f;
    th_kraken_asset_names(base, bid, sizeof bid, balt, sizeof balt, &f);
    th_kraken_asset_names(quote, qid, sizeof qid, qalt, sizeof qalt, &f);
    snprintf(alt, alt_cap, "%s%s", balt, qalt);
    snprintf(wsname, ws_cap, "%s/%s", balt, qalt);
    if (prefixed(bid, balt) && prefixed(qid, qalt)) snprintf(id, id_cap, "%s%s", bid, qid);
    else snprintf(id, id_cap, "%s%s", balt, qalt);
}

static bool eqn(const char *a, const char *b, size_t n) { return strlen(a) == n && strncasecmp(a, b, n) == 0; }

int32_t th_kraken_pair_find(const th_instruments *r, const char *name, size_t n)
{
    int32_t i = th_instruments_find(r, name, n);
    if (i >= 0) return i;
    for (i = 0; i < r->n; i++) {
        const th_instrument *in = &r->v[i];
        if (!in->base[0] || !in->quote[0]) continue;
        char id[40], alt[40], ws[40];
        th_kraken_pair_names(in->base, in->quote, id, sizeof id, alt, sizeof alt, ws, sizeof ws);
        if (eqn(id, name, n) || eqn(alt, name, n) || eqn(ws, name, n)) return i;
    }
    return -1;
}

void th_kraken_asset_v2(const char *name, size_t n, char *out, size_t cap)
{
    for (size_t i = 0; i < sizeof LEGACY / sizeof *LEGACY; i++)
        if (eqn(LEGACY[i].id, name, n) || eqn(LEGACY[i].alt, name, n) || eqn(LEGACY[i].v2, name, n)) {
            snprintf(out, cap, "%s", LEGACY[i].v2);
            return;
        }
    snprintf(out, cap, "%.*s", (int)n, name);
}
