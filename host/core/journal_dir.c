/* journal_dir.c — lock, choice and failure marker of the journal directory (see journal_dir.h). */
#include "journal_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n > m && strcmp(s + n - m, tail) == 0;
}

int th_jdir_lock(const char *dir, int *fd, char *err, size_t cap)
{
    char path[600];
    snprintf(path, sizeof path, "%s/lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        snprintf(err, cap, "cannot open the journal lock %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(*fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        if (e == EWOULDBLOCK)
            snprintf(err, cap,
                     "journal directory %s is in use by another tradehost (pid %s): two hosts on one journal would trade "
                     "the same orders; stop it or give this one its own storage.journal_dir",
                     dir, pid[0] ? pid : "unknown");
        else snprintf(err, cap, "cannot lock %s: %s", path, strerror(e));
        close(*fd);
        *fd = -1;
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(*fd, 0) != 0 || pwrite(*fd, pid, (size_t)n, 0) != n) {
        /* the lock holds without the pid; a refused second host just cannot name us */
    }
    return 0;
}

void th_jdir_unlock(int fd)
{
    if (fd >= 0) close(fd); /* closing the last descriptor releases the flock */
}

int th_jdir_newest(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".thj") || strcmp(e->d_name, best) <= 0) continue;
        char path[600];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || sb.st_size == 0) continue;
        snprintf(best, sizeof best, "%s", e->d_name);
    }
    closedir(d);
    if (!best[0]) return -1;
    snprintf(out, cap, "%s/%s", dir, best);
    return 0;
}

int th_jdir_clean(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".thj.new")) continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n += unlink(path) == 0;
    }
    closedir(d);
    return n;
}

static void sync_dir_of(const char *path)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int th_jdir_mark_failed(const char *journal_path, const char *why)
{
    char path[600];
    snprintf(path, sizeof path, "%s.failed", journal_path);
    /* An empty file needs no data block, so it can still be made on a full disk; the reason is a
     * bonus when there is room for it. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    size_t n = strlen(why);
    ssize_t w = write(fd, why, n);
    (void)w;
    (void)fsync(fd);
    close(fd);
    sync_dir_of(path);
    return 0;
}

bool th_jdir_failed(const char *journal_path, char *why, size_t cap)
{
    char path[600];
    snprintf(path, sizeof path, "%s.failed", journal_path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, why, cap - 1);
    close(fd);
    why[n > 0 ? n : 0] = 0;
    if (!why[0]) snprintf(why, cap, "(no reason recorded: the disk had no room for it)");
    return true;
}
