/* journal_cmd.h — `tradehost journal FILE|DIR [--json]` (journal_cmd.c). */
#ifndef TH_JOURNAL_CMD_H
#define TH_JOURNAL_CMD_H

/* Rebuild and print the state a journal holds; a directory means its newest journal. */
int th_journal_cmd(int argc, char **argv);

#endif
