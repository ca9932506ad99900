/* money_check.h — cmocka's integer asserts cast to 64 bits, which would hide exactly the overflow
 * th_money exists to prevent: compare 128-bit money here and print both sides in full. */
#ifndef TH_TEST_MONEY_CHECK_H
#define TH_TEST_MONEY_CHECK_H

#include "../../host/core/money.h"

#define assert_money_equal(a, b)                                                                     \
    do {                                                                                             \
        th_money a_ = (a), b_ = (b);                                                                 \
        if (a_ != b_) {                                                                              \
            char sa_[64], sb_[64];                                                                   \
            th_money_format(a_, 0, sa_, sizeof sa_);                                                 \
            th_money_format(b_, 0, sb_, sizeof sb_);                                                 \
            fail_msg("%s == %s: %s != %s (%s:%d)", #a, #b, sa_, sb_, __FILE__, __LINE__);           \
        }                                                                                            \
    } while (0)

#endif
