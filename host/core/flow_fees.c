/* flow_fees.c — fees a venue charged in another asset than the pair's quote (Binance's BNB when the
 * account pays fees with it). They are not money of the quote, and no price converts them here:
 * the fill's quote fee is 0, and the fee is kept as it was charged, in its asset — in the FILL
 * journal record's text ("fee_other BNB 0.00001234", so a restart and `tradehost journal` count it
 * again) and in the flow's per-asset totals. */
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "log.h"
#include "order_flow.h"
#include "order_flow_impl.h"

int flow_fee_other_add(th_flow *f, const char *asset, const char *amount)
{
    int64_t v;
    if (!asset || !asset[0] || !amount || th_dec_parse(amount, strlen(amount), TH_FEE_OTHER_DEC, &v) != TH_DEC_OK || v < 0) {
        th_logf(TH_LOG_ERROR, "a fee in another asset that cannot be read (not counted)", "asset=%s amount=%s", asset ? asset : "",
                amount ? amount : "");
        return -1;
    }
    int32_t i = 0;
    while (i < f->nfees_other && strcmp(f->fees_other[i].asset, asset) != 0) i++;
    if (i == f->nfees_other) {
        if (i == TH_FEE_OTHER_MAX) {
            th_logf(TH_LOG_ERROR, "fees in more than 8 other assets: this one is not totalled (the journal keeps it)", "asset=%s amount=%s",
                    asset, amount);
            return -1;
        }
        snprintf(f->fees_other[i].asset, sizeof f->fees_other[i].asset, "%s", asset);
        f->fees_other[i].amount = f->fees_other[i].fills = 0;
        f->nfees_other++;
    }
    f->fees_other[i].amount += v;
    f->fees_other[i].fills++;
    return 0;
}

void flow_fee_other_text(const char *asset, const char *amount, char *out, size_t cap)
{
    snprintf(out, cap, "fee_other %s %s", asset, amount);
}

int flow_fee_other_replay(th_flow *f, const char *text)
{
    char asset[16], amount[32];
    if (strncmp(text, "fee_other ", 10) != 0 || sscanf(text + 10, "%15s %31s", asset, amount) != 2) return 0;
    return flow_fee_other_add(f, asset, amount);
}
