/* paths.c — config path resolution helpers and the host's own directories (see paths.h). */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int th_path_config_dir(const char *config_path, char *out, size_t cap, char *err, size_t err_cap)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(config_path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == config_path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - config_path), config_path);
    char abs[PATH_MAX];
    if (!realpath(dir, abs)) {
        snprintf(err, err_cap, "%s: %s", dir, errno == ENOENT ? "no such directory" : strerror(errno));
        return -1;
    }
    if (strlen(abs) >= cap) { snprintf(err, err_cap, "%s: path too long", abs); return -1; }
    snprintf(out, cap, "%s", abs);
    return 0;
}

int th_path_mkdirs(const char *dir, char *err, size_t err_cap)
{
    char buf[PATH_MAX];
    if (strlen(dir) >= sizeof buf) { snprintf(err, err_cap, "cannot create the directory %s: path too long", dir); return -1; }
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        if (*p && *p != '/') continue;
        char c = *p;
        *p = 0;
        struct stat st;
        if (stat(buf, &st) != 0) {
            if (errno != ENOENT || (mkdir(buf, 0700) != 0 && errno != EEXIST)) {
                snprintf(err, err_cap, "cannot create the directory %s: %s", buf, strerror(errno));
                return -1;
            }
        } else if (!S_ISDIR(st.st_mode)) {
            snprintf(err, err_cap, "cannot create the directory %s: %s exists and is not a directory", dir, buf);
            return -1;
        }
        if (!c) break;
        *p = c;
    }
    return 0;
}

int th_path_mkparent(const char *file, char *err, size_t err_cap)
{
    const char *slash = strrchr(file, '/');
    if (!slash || slash == file) return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - file), file);
    return th_path_mkdirs(dir, err, err_cap);
}

int th_path_check_readable(const char *path, char *why, size_t cap)
{
    if (access(path, R_OK) == 0) return 0;
    int e = errno;
    if (e == ENOENT) {
        const char *slash = strrchr(path, '/');
        if (slash && slash != path) {
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
            struct stat st;
            if (stat(dir, &st) != 0) { snprintf(why, cap, "no such directory: %s", dir); return -1; }
        }
        snprintf(why, cap, "no such file: %s", path);
        return -1;
    }
    snprintf(why, cap, "%s: %s", path, strerror(e));
    return -1;
}
