/* cli.h — subcommands of the tradehost binary; main.c only dispatches to these. */
#ifndef TH_CLI_H
#define TH_CLI_H

typedef struct th_cli_cmd {
    const char *name;
    const char *summary;
    const char *help;
    int (*fn)(int argc, char **argv);
} th_cli_cmd;

extern const th_cli_cmd TH_COMMANDS[];

/* Where scripts/ and strategies/ live: $TH_HOME, else the source tree the binary was built from. */
const char *th_cli_home(void);
/* True if argv holds -h or --help. */
int th_cli_wants_help(int argc, char **argv);

#endif
