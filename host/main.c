/* main.c — entry point: picks a subcommand; everything else lives in host/app/. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tradehost <command> [options]\n\ncommands:\n");
    for (const th_cli_cmd *c = TH_COMMANDS; c->name; c++) fprintf(f, "  %-9s %s\n", c->name, c->summary);
    fprintf(f, "\n`tradehost <command> --help` describes a command.\n");
}

int main(int argc, char **argv)
{
    /* A peer that hangs up while we write (a REPL client, an API client, a log pipe) must not end
     * the process: without an on_stop, a cancel-all or a journal close. Writes then fail with
     * EPIPE and each caller treats that as a closed peer. libwebsockets ignores SIGPIPE only when
     * it is initialised, which a host without an API never does. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const th_cli_cmd *c = TH_COMMANDS; c->name; c++) {
        if (strcmp(argv[1], c->name) == 0) {
            if (th_cli_wants_help(argc - 1, argv + 1)) {
                fputs(c->help, stdout);
                return 0;
            }
            return c->fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "tradehost: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
