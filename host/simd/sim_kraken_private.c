/* sim_kraken_private.c — Kraken's private REST: API-Sign and nonce checks, then the method. */
#include "sim_kraken.h"

void kr_private_rest(simd *s, const sim_http_req *req, sim_http_resp *r)
{
    (void)s;
    (void)req;
    r->status = 200;
    sim_buf_puts(&r->body, "{\"error\":[\"EGeneral:Internal error:private API not served yet\"]}");
}
