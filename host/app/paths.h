/* paths.h — how the host resolves and prepares the paths a config names.
 *
 * One rule: a relative path in a config (venue.recording, venue.instruments, venue.snapshots,
 * strategy.module, storage.journal_dir, repl.socket, log.file) is relative to the directory that
 * holds the config file, whatever the working directory; th.config rewrites them to absolute
 * paths when the config loads, so every later user sees one absolute path. Why the config's
 * directory: the journal is the source of truth for recovery, and a host started from another
 * directory must find the same journal, not start a new one beside it.
 * The directories the host writes into (the journal's, the REPL socket's, the log file's) are
 * created (0700) when missing. A path that is not there is reported as "no such directory" when
 * its directory is what is missing, "no such file" otherwise. */
#ifndef TH_PATHS_H
#define TH_PATHS_H

#include <stddef.h>

/* The absolute directory holding `config_path` (which may be relative to the working directory);
 * 0, or -1 with a message in err. */
int th_path_config_dir(const char *config_path, char *out, size_t cap, char *err, size_t err_cap);
/* Create dir and its missing parents (0700): 0, or -1 with "cannot create the directory D: why". */
int th_path_mkdirs(const char *dir, char *err, size_t err_cap);
/* The same for the directory holding `file`. */
int th_path_mkparent(const char *file, char *err, size_t err_cap);
/* Why `path` cannot be read: "no such directory: D", "no such file: P", or the system's reason.
 * Returns 0 if it is readable. */
int th_path_check_readable(const char *path, char *why, size_t cap);

#endif
