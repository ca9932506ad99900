/* fd_budget.h — how many connections a loopback listener may hold under the process's descriptor
 * limit. The API and the sim each cap their connections (a local client must not exhaust the
 * descriptors the journal, the REPL and the venues need); one rule for both, so that a change
 * to how the reserve is counted is made once. */
#ifndef TH_FD_BUDGET_H
#define TH_FD_BUDGET_H

/* At most `max`; fewer when RLIMIT_NOFILE leaves less than max + reserve, keeping `reserve`
 * descriptors for everything else; never below 64 (a listener that cannot take a few clients is
 * useless, and 64 descriptors are there on any sane limit). */
int th_fd_connection_cap(int max, int reserve);

#endif
