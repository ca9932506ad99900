/* cli.c — subcommands, their options and their help text. Help describes what each command does
 * today; commands whose machinery arrives with a later component say so and exit 2. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hostinfo.h"
#include "backtest_cli.h"
#include "journal_cmd.h"
#include "report_cmd.h"
#include "session.h"

#ifndef TH_SOURCE_DIR
#define TH_SOURCE_DIR "."
#endif

const char *th_cli_home(void)
{
    const char *h = getenv("TH_HOME");
    return (h && *h) ? h : TH_SOURCE_DIR;
}

int th_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

static int run_like(int argc, char **argv, const char *mode, int virtual_clock)
{
    static const struct option longopts[] = {
        {"paper", no_argument, NULL, 'p'},
        {"resume", no_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"log-level", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    th_session_opts o = {.home = th_cli_home(), .mode = mode, .virtual_clock = virtual_clock};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': o.mode = "paper"; break;
        case 'r': o.resume = true; break;
        case 'd': {
            char *end;
            o.duration_s = strtod(optarg, &end);
            if (*end || o.duration_s < 0) { fprintf(stderr, "tradehost %s: --duration: not a number of seconds: %s\n", argv[0], optarg); return 2; }
            break;
        }
        case 'l': o.log_level = optarg; break;
        default: fprintf(stderr, "see `tradehost %s --help`\n", argv[0]); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "tradehost %s: expected exactly one CONFIG file (see --help)\n", argv[0]);
        return 2;
    }
    o.config_path = argv[optind];
    return th_session_run(&o);
}

static int cmd_run(int argc, char **argv) { return run_like(argc, argv, "run", 0); }
static int cmd_backtest(int argc, char **argv) { return th_cmd_backtest(argc, argv, th_cli_home()); }

int th_cmd_replay(int argc, char **argv);

int th_cmd_record(int argc, char **argv);

int th_cmd_repl(int argc, char **argv);
int th_cmd_sim(int argc, char **argv);

static int cmd_version(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("tradehost %s\n", TH_VERSION);
    return 0;
}

const th_cli_cmd TH_COMMANDS[] = {
    {"run", "run a trading session from a config file",
     "usage: tradehost run CONFIG [--paper] [--resume] [--duration SECONDS] [--log-level LEVEL]\n\n"
     "Loads CONFIG (a Lua file returning a table; see docs/config.md), validates it (an unknown key, a\n"
     "wrong type or a missing value stops start-up with a message naming the file and key path), loads\n"
     "the strategy module and runs one libuv loop: on_start, then market events and on_tick every\n"
     "strategy.tick_ms, until SIGTERM/SIGINT (on_stop, then a graceful exit 0) or --duration.\n"
     "SIGHUP reloads CONFIG and the strategy as one transaction: the config is validated, new code is\n"
     "compiled, check()/migrate(state) run; then new parameters, pairs and risk limits apply (pairs\n"
     "removed have their orders cancelled). On any error nothing changes and the old code keeps\n"
     "running; the state table is kept. A Lua error faults only that strategy.\n"
     "Relative paths in CONFIG are relative to the directory holding CONFIG (docs/config.md).\n\n"
     "  --paper            fill orders against the local paper venue while reading market data (also\n"
     "                     venue.paper = true, or venue.name = \"sim\"); the log's first line says\n"
     "                     mode=paper venue=... fills=paper\n"
     "  --resume           paper: continue the previous paper run's account (orders, positions, fees,\n"
     "                     kill switch) from its journal; without it a paper run starts fresh.\n"
     "                     A live run always recovers from its journal.\n"
     "  --duration S       stop gracefully after S seconds (default: config session.duration_s, else never)\n"
     "  --log-level L      debug|info|warn|error (overrides log.level)\n\n"
     "Exit status: 0 after a graceful stop, 2 for a bad config or strategy, 1 for a runtime failure.\n",
     cmd_run},
    {"backtest", "run a session over recorded data on a virtual clock; parameter sweeps",
     "usage: tradehost backtest CONFIG [--data RECORDING]... [--lead RECORDING] [--from T --to T] [--report DIR]\n"
     "                          [--set key=value]... [--seed N] [--rank METRIC] [--jobs N] [--log-level L]\n\n"
     "The session code of `run` on a virtual clock that moves only with the recording's receive times:\n"
     "the strategy, risk gates, order tracker, quote executor and journal are the live ones; orders go to\n"
     "the sim's matching engine (queue positions, partial fills, maker/taker fees, post-only) through\n"
     "the latency model (venue.latency). Records received within one loop turn (venue.latency.turn_ms)\n"
     "are one batch, as at recorded pace, so the strategy sees the same events (docs/guide.md). At the\n"
     "end it prints a summary: fills, volume, fees, PnL, orders by outcome, refusals by reason, events/s.\n"
     "  --data RECORDING  the market data (default: the config's venue.recording and venue.data);\n"
     "                    repeated: merged by receive time (of the config's feed venue)\n"
     "  --lead RECORDING  the lead market's recording (venue.lead: its feed, instruments, alignment)\n"
     "  --from T, --to T  trade only this part (T: +SECONDS after the first record, epoch seconds, or\n"
     "                    YYYY-MM-DDTHH:MM:SSZ); records before --from still build the books\n"
     "  --report DIR      the journal, the report (JSON + HTML) and summary.json go to DIR; the same\n"
     "                    inputs, config and --seed give byte-identical summary.json\n"
     "  --set key=value   override a config value before validation (strategy.params.spread_bps=10);\n"
     "                    key=a,b,c runs a sweep: every combination, one process per core (--jobs),\n"
     "                    each in DIR/run-NNN, and DIR/sweep.json, sweep.txt, sweep.html ranked by --rank\n"
     "                    (pnl, realised, unrealised, volume, fills, maker_fills: higher first; fees)\n"
     "  --seed N          the paper venue's ids and sampled latencies (default 0)\n\n"
     "Exit status: 0; 2 for a bad config or usage; 1 when a sweep's run failed.\n",
     cmd_backtest},
    {"replay", "drive the feed parsers and books from a recording",
     "usage: tradehost replay FILE --venue VENUE [--instruments FILE] [--snapshots FILE]... [--json]\n"
     "                        [--pace full|recorded]\n\n"
     "Reads recorded frames (`<receive_ts_ns> <frame>` lines, or the cryptofeed .rec format; plain or\n"
     "gzip) and applies them to L2 books exactly as a live feed would: checksums (Kraken), sequence\n"
     "numbers (Kraken Futures seq, Binance U/u/pu) and REST snapshots carried inline or given with\n"
     "--snapshots. VENUE: kraken | kraken-futures | binance | binance-usdm.\n"
     "  --instruments FILE  the venue's instrument data (raw JSON body or a recording holding it)\n"
     "  --snapshots FILE    Binance REST depth snapshots, when the recording does not carry them\n"
     "  --json              print one JSON object with per-symbol counters and the final top 5 levels\n"
     "  --pace recorded     sleep to reproduce the recording's timing (default: full speed)\n",
     th_cmd_replay},
    {"record", "capture a venue's raw frames and REST snapshots to a recording replay and backtest read",
     "usage: tradehost record --venue VENUE --symbols A,B --instruments FILE --out FILE [--duration S]\n"
     "                        [--endpoint URL] [--rest URL] [--log-level LEVEL]\n\n"
     "Connects to the venue's public market data with the connector a live session uses and writes\n"
     "every frame received, with its receive time (`<receive_ts_ns> <frame>` lines), every connection\n"
     "opened and frame sent, and every REST snapshot the books needed with its URL (Binance depth:\n"
     "`<url> -> <epoch>: <body>`, the venue.snapshots line) to FILE, which replay, run (venue.recording)\n"
     "and backtest read as they are. The books are kept as a session keeps them (a broken Kraken book\n"
     "resubscribed, a Binance snapshot fetched after a gap), so a replay of FILE builds the same books.\n"
     "VENUE: kraken | binance | kraken-futures. Ends after --duration or at SIGINT/SIGTERM: the file\n"
     "always ends with a complete line (lines are written whole, at least every 100 ms). Prints one\n"
     "JSON line: lines, frames, opens, sent, rest, bytes and each book's health at the end.\n"
     "  --symbols A,B        the venue's names (Kraken XMR/USD, Binance NKNUSDT, Futures PI_XBTUSD)\n"
     "  --instruments FILE   the venue's instrument data (as venue.instruments)\n"
     "  --out FILE           created; an existing file is never overwritten\n"
     "  --endpoint URL       the public websocket (default the venue's; ws:// only to loopback, e.g.\n"
     "                       the ws_public of `tradehost sim`)\n"
     "  --rest URL           Binance: the REST base for depth snapshots (default https://api.binance.com)\n\n"
     "Exit status: 0 after --duration or a signal, 1 when the file could not be written or the\n"
     "venue not reached at start, 2 for bad options.\n",
     th_cmd_record},
    {"repl", "attach to a running host's REPL socket",
     "usage: tradehost repl [--read-only] [--json] SOCKET\n\n"
     "Attaches to the REPL of a host started with repl.socket = SOCKET in its config (a unix socket,\n"
     "mode 0600: only the host's user can attach). Each line of Lua runs inside the host, on its loop,\n"
     "with the th library, `state` (the strategy's live state) and `ctx`; an expression prints its\n"
     "value (tables pretty-printed 4 levels deep, cycles marked, a book as its top levels; show(v, depth)\n"
     "for more), an unfinished statement continues on a `..>` line. th.status() gives one table per pair.\n"
     "On a terminal: line editing and history (libedit; $XDG_STATE_HOME/tradehost/history, else\n"
     "~/.tradehost_history, mode 0600), Tab completes th. names and table fields, .help lists the rest.\n"
     "The full REPL is an operator console with the host's powers (ffi, os, io; os.exit stops the host\n"
     "gracefully). --read-only asks the host for a sandbox it enforces for the connection: no ffi, os, io,\n"
     "debug, require or bytecode, read-only state and ctx, no order, kill or reload functions (a\n"
     "repl.readonly_socket is read-only for every client). Every chunk runs under an instruction, time\n"
     "and memory budget, so a runaway chunk is stopped instead of freezing the host (docs/ops.md).\n"
     "Reads stdin to its end, so it also takes piped input (plain lines, no editing):\n"
     "  echo 'th.risk.kill(\"by hand\")' | tradehost repl var/th.sock\n\n"
     "  --read-only   the read-only sandbox\n"
     "  --json        machine mode: each input line is one chunk, each answer one JSON object on one line,\n"
     "                {\"ok\", \"value\" (\"values\" for several), \"error\", \"output\"}; a line `.complete WORD`\n"
     "                answers {\"ok\":true,\"completions\":[...]} (docs/ops.md \"Machine mode\")\n\n"
     "Exit status: 0 at the end of input, 1 if the host cannot be reached or goes away (or input ends inside\n"
     "an unfinished chunk), 2 for bad usage.\n",
     th_cmd_repl},
    {"journal", "rebuild and print the state an order journal holds",
     "usage: tradehost journal FILE|DIR [--json]\n\n"
     "Reads an order journal (a DIR means its newest .thj file) with the same code recovery uses and\n"
     "prints what it holds: every order with its state, fills and done reason, the positions, and the\n"
     "kill switch, in human units: prices and sizes as decimals, times ISO 8601 UTC, money with its\n"
     "currency (--json keeps exact integers in instrument units, with each symbol's decimals). A torn last record (a crash while writing) is reported\n"
     "and ignored; corruption before the end is an error (exit 1).\n"
     "  --json   one JSON object: file, records, torn_tail, halted, halt_reason, orders, positions\n",
     th_journal_cmd},
    {"report", "a session's report (JSON and a self-contained HTML page with plots) from its journal",
     "usage: tradehost report JOURNAL_OR_DIR [--out DIR]\n"
     "       tradehost report --session ID [--json] [--pg-env VAR]\n\n"
     "Builds the report a session writes at its end, after the fact: from the journal (a DIR means its\n"
     "newest .thj file) and the timeline the session sampled beside it (<journal>.timeline). Per pair\n"
     "and in total: PnL realised and unrealised, fees, volume, fills, fill ratio, spread captured,\n"
     "inventory over time, max drawdown, Sharpe over the period, refusals by reason (docs/guide.md,\n"
     "\"Reports\"). Money is exact decimal text in each pair's quote currency.\n"
     "Writes DIR/report.json and DIR/report.html (default DIR: the journal's name with .thj replaced\n"
     "by .report) and prints both paths. The HTML page needs no network: its plots are inline SVG.\n\n"
     "With --session: the statistics of session ID (session.name) read from the PostgreSQL history\n"
     "(storage.postgres; docs/ops.md \"PostgreSQL history\"), over every journal of that name: per pair\n"
     "fills, orders, fill ratio, volume, fees, realised PnL, position, drawdown; the portfolio's newest\n"
     "PnL and max drawdown. VAR (default TH_PG) holds the connection string. --json: one JSON object.\n\n"
     "Exit status: 0, 1 if the journal cannot be read or the report written (or the session is not in\n"
     "PostgreSQL), 2 for bad usage or PostgreSQL not configured.\n",
     th_report_cmd},
    {"sim", "serve a local venue (Kraken's or Binance's own protocols) on loopback, replaying a recording",
     "usage: tradehost sim --venue kraken|binance --data RECORDING --instruments FILE [--snapshots FILE]\n"
     "                     [--listen 127.0.0.1:0]\n"
     "                     [--pace recorded|full] [--speed X] [--accounts FILE] [--seed N] [--log-level L]\n\n"
     "A local exchange: replays RECORDING (any format `replay` reads, through the same ingestion path)\n"
     "as its market and serves it with the venue's own wire protocols on loopback, so any client (ccxt\n"
     "included) can read its books and trade against it. Once listening it prints one JSON line on\n"
     "stdout with every URL it serves, then logs to stderr:\n"
     "  {\"venue\":\"kraken\",\"rest\":\"http://127.0.0.1:P\",\"ws_public\":\"ws://127.0.0.1:P/v2\",\n"
     "   \"ws_private\":\"ws://127.0.0.1:Q/v2\",\"control\":\"http://127.0.0.1:P/_sim\"}\n"
     "When the data ends the market holds its last state; the sim serves until SIGTERM/SIGINT.\n"
     "  --venue kraken       Kraken spot: REST /0/public/*, WS v2 public (book with checksums, trade,\n"
     "                       ticker, instrument); see docs/sim.md\n"
     "  --venue binance      Binance spot: REST /api/v3 ping, time, exchangeInfo, depth; streams\n"
     "                       /stream and /ws (@depth@100ms diffs with U/u, @trade, @bookTicker);\n"
     "                       signed POST/DELETE /api/v3/order, GET openOrders, account; the\n"
     "                       WebSocket API (order.place, order.cancel, openOrders.status,\n"
     "                       userDataStream.subscribe.signature with executionReport events)\n"
     "  --venue kraken-futures  Kraken Futures market data: WS v1 book_snapshot/book (seq), trade,\n"
     "                       ticker, ticker_lite, heartbeat; REST instruments and orderbook\n"
     "  --instruments FILE   the venue's instrument data (pairs, precisions, minimums)\n"
     "  --snapshots FILE     REST depth snapshots beside the recording (as `replay --snapshots`)\n"
     "  --listen HOST:PORT   loopback only; port 0 (default) takes free ports, else PORT and PORT+1\n"
     "  --pace recorded      replay at the recording's pace (default), times --speed; full: at once\n"
     "  --paused             hold the replay until POST /_sim/resume (clients subscribe first)\n"
     "  --no-rate-limit      no trading rate counter (Kraken's is on by default; for benchmarks)\n"
     "  --ws-ping-ms N       Binance: server pings every N ms (default 20000, as the exchange)\n"
     "  --accounts FILE      trading accounts (JSON, docs/sim.md); --seed N makes runs repeatable\n"
     "  GET /_sim/state      the sim's own view: top 10 of every book, accounts\n\n"
     "Exit status: 0 after SIGTERM/SIGINT, 2 for bad options or files.\n",
     th_cmd_sim},
    {"version", "print the version", "usage: tradehost version\n\nPrints the tradehost version.\n", cmd_version},
    {NULL, NULL, NULL, NULL},
};
