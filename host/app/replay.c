/* replay.c — `tradehost replay`: drives feed parsers and books from a recording. */
#include <stdio.h>

int th_cmd_replay(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "tradehost replay: the feed parsers are not built in yet\n");
    return 2;
}
