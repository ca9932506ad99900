/* fd_budget.c — the connection cap under RLIMIT_NOFILE (see fd_budget.h). */
#include "fd_budget.h"

#include <sys/resource.h>

int th_fd_connection_cap(int max, int reserve)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 64;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)(max + reserve)) return max;
    return rl.rlim_cur > (rlim_t)(reserve + 64) ? (int)(rl.rlim_cur - (rlim_t)reserve) : 64;
}
