/* report_cmd.h — `tradehost report JOURNAL_OR_DIR [--out DIR]` (report_cmd.c). */
#ifndef TH_REPORT_CMD_H
#define TH_REPORT_CMD_H
int th_report_cmd(int argc, char **argv);
#endif
