/* backtest_cli.h — `tradehost backtest` (backtest_cli.c): one run, or a sweep. */
#ifndef TH_BACKTEST_CLI_H
#define TH_BACKTEST_CLI_H

/* home: where strategies/ and scripts/ are (cli.c th_cli_home). */
int th_cmd_backtest(int argc, char **argv, const char *home);

#endif
