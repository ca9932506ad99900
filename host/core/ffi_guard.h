/* ffi_guard.h — argument checks for the functions of tradehost.h.
 *
 * A strategy reaches those functions through `th` and also through the raw FFI, with whatever
 * arguments it likes: a bad side, a negative count, a NULL out-pointer. Each must come back as an
 * error code, never as a crash of the host that holds everyone's orders. Every exported function
 * starts with these checks (tests/functional/ffi_hostile.lua calls each one with hostile
 * arguments, and fails when tradehost.h gains a function it does not cover). */
#ifndef TH_FFI_GUARD_H
#define TH_FFI_GUARD_H

#include <stddef.h>

/* A NULL `err` still gets a message: point it at a local sink so the checks below can write. */
#define TH_FFI_ERR(err)                   \
    const char *th_ffi_err_sink_ = NULL;  \
    if (!(err)) (err) = &th_ffi_err_sink_

/* Refuse with a static message unless cond holds. */
#define TH_FFI_CHECK(cond, msg)              \
    do {                                     \
        if (!(cond)) { *err = (msg); return -1; } \
    } while (0)

#define TH_FFI_NOT_NULL(p) TH_FFI_CHECK((p) != NULL, #p " is NULL")
#define TH_FFI_SIDE(side) TH_FFI_CHECK((side) == 0 || (side) == 1, "side must be TH_BID (0) or TH_ASK (1)")

#endif
