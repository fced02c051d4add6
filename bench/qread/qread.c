/*
 * qread: the walk qmail-qread makes over a qmail queue, for bench/queue-scan.ts to compare
 * against where the real qmail-qread is not installed. Written for qfleet after reading
 * notqmail's qmail-qread.c, readsubdir.c, fmtqfn.c and date822fmt.c (qmail is public domain);
 * the same system calls in the same order and the same output, byte for byte:
 *
 *   for each split directory info/0 .. info/<split-1>, each entry whose name is all digits (the
 *   message id), in readdir order:
 *     stat mess/<id % split>/<id>            (size; no mess: "warning: trouble with #id")
 *     stat bounce/<id>                        (bouncing if it exists)
 *     read info/<id % split>/<id>             ("F" sender NUL), fstat it (mtime = queued at)
 *     print "D Mon YYYY HH:MM:SS GMT  #id  size  <sender> [ bouncing]"
 *     read local/<split>/<id> then remote/<split>/<id>: records "T" or "D" address NUL,
 *       printed "[  done]\tlocal|remote\taddress"
 *   bytes outside 32..126 in the header and the addresses print as "_".
 *
 * Differences from qmail-qread, none of which changes the walk: the queue directory and the
 * split are arguments (qmail compiles both in: /var/qmail/queue and conf-split, 23), and stdio
 * does the buffering that substdio does there.
 *
 * Usage: qread QUEUE_DIR [SPLIT]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static unsigned long split = 23;

/* Growing buffer for whole small files (info, local, remote). */
static char *buf;
static size_t cap;

static void trouble(unsigned long id) {
  printf("warning: trouble with #%lu: %s\n", id, strerror(errno));
}

/* Reads all of an open file into buf; returns its length, or -1. */
static ssize_t slurp(int fd) {
  size_t len = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      buf = realloc(buf, cap);
      if (!buf) {
        fputs("fatal: out of memory\n", stdout);
        exit(111);
      }
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) return (ssize_t)len;
    len += (size_t)n;
  }
}

/* Prints n bytes, anything but printable ASCII as '_'. */
static void safe(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) putchar(s[i] >= 32 && s[i] <= 126 ? s[i] : '_');
}

/* Prints up to the first NUL of s[0..n). */
static void safez(const char *s, size_t n) {
  const char *z = memchr(s, 0, n);
  safe(s, z ? (size_t)(z - s) : n);
}

static void recipients(const char *channel, const char *path, unsigned long id) {
  int fd = open(path, O_RDONLY);
  if (fd == -1) {
    if (errno != ENOENT) trouble(id);
    return;
  }
  ssize_t len = slurp(fd);
  close(fd);
  if (len < 0) return;
  /* Only records ended by NUL count, as getln with no match ends the loop. */
  size_t at = 0;
  while (at < (size_t)len) {
    char *end = memchr(buf + at, 0, (size_t)len - at);
    if (!end) break;
    size_t rec = (size_t)(end - (buf + at));
    char kind = buf[at];
    if (kind == 'D' || kind == 'T') {
      if (kind == 'D') fputs("  done", stdout);
      putchar('\t');
      fputs(channel, stdout);
      putchar('\t');
      safe(buf + at + 1, rec ? rec - 1 : 0);
      putchar('\n');
    }
    at += rec + 1;
  }
}

static void message(unsigned long id) {
  char mess[64], info[64], local[64], remote[64], bounce[64];
  struct stat st;
  unsigned long sub = id % split;
  snprintf(mess, sizeof mess, "mess/%lu/%lu", sub, id);
  snprintf(info, sizeof info, "info/%lu/%lu", sub, id);
  snprintf(local, sizeof local, "local/%lu/%lu", sub, id);
  snprintf(remote, sizeof remote, "remote/%lu/%lu", sub, id);
  snprintf(bounce, sizeof bounce, "bounce/%lu", id);

  if (stat(mess, &st) == -1) {
    trouble(id);
    return;
  }
  unsigned long size = (unsigned long)st.st_size;
  int bouncing = stat(bounce, &st) == 0;

  int fd = open(info, O_RDONLY);
  if (fd == -1) {
    trouble(id);
    return;
  }
  ssize_t len = slurp(fd);
  if (len < 0 || fstat(fd, &st) == -1) {
    close(fd);
    trouble(id);
    return;
  }
  close(fd);

  char head[96];
  struct tm tm;
  time_t queued = st.st_mtime;
  gmtime_r(&queued, &tm);
  int n = snprintf(head, sizeof head, "%d %s %d %02d:%02d:%02d GMT  #%lu  %lu  <", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, id, size);
  safe(head, (size_t)n);
  /* info is "F" then the sender; qmail-qread skips the first byte whatever it is. */
  if (len > 1) safez(buf + 1, (size_t)len - 1);
  fputs("> ", stdout);
  if (bouncing) fputs(" bouncing", stdout);
  putchar('\n');

  recipients("local", local, id);
  recipients("remote", remote, id);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fputs("usage: qread QUEUE_DIR [SPLIT]\n", stderr);
    return 100;
  }
  if (argc == 3) split = strtoul(argv[2], 0, 10);
  if (chdir(argv[1]) == -1) {
    printf("fatal: unable to chdir: %s\n", strerror(errno));
    return 111;
  }
  static char out[1 << 16];
  setvbuf(stdout, out, _IOFBF, sizeof out);
  for (unsigned long pos = 0; pos < split; pos++) {
    char dirname[32];
    snprintf(dirname, sizeof dirname, "info/%lu", pos);
    DIR *dir = opendir(dirname);
    if (!dir) {
      printf("fatal: unable to opendir %s: %s\n", dirname, strerror(errno));
      fflush(stdout);
      return 111;
    }
    struct dirent *d;
    while ((d = readdir(dir))) {
      const char *name = d->d_name;
      if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
      /* the whole name must be digits (scan_ulong, then nothing after it) */
      size_t i = 0;
      unsigned long id = 0;
      while (name[i] >= '0' && name[i] <= '9') id = id * 10 + (unsigned long)(name[i++] - '0');
      if (!i || name[i]) continue;
      message(id);
    }
    closedir(dir);
  }
  fflush(stdout);
  return 0;
}
