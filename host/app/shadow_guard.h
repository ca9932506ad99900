/* shadow_guard.h — the order entry points' refusal of a shadow strategy (reload{shadow = true},
 * host/lua/lua_shadow.c): a shadow sends nothing. th/shadow.lua records its intents before they
 * reach the FFI; this is the backstop for anything that goes around it (a strategy calling
 * ffi.C directly). One comparison of a pointer when no strategy or no shadow runs. */
#ifndef TH_SHADOW_GUARD_H
#define TH_SHADOW_GUARD_H

#include "tradehost.h"

#define NOT_FROM_SHADOW(err)                                                    \
    do {                                                                        \
        if (th_shadow_role() == 2) {                                            \
            *(err) = "a shadow strategy sends nothing (reload{shadow = true})"; \
            return -1;                                                          \
        }                                                                       \
    } while (0)

#endif
