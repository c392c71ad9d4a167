/*
 * fake-monitor: stands in for qemu/firecracker/solo5 in lifecycle tests.
 *
 * urunc execs it as the monitor inside the jail (no /proc, nothing but its own binary), so it
 * is linked statically and needs no file. On start it prints ONE JSON line describing what it
 * inherited (argv, env, fds, credentials, root, seccomp, no_new_privs, config files) so tests
 * can assert on the monitor's real execution context. Then it acts on the first argv entry
 * containing a marker:
 *   fake:exit=N   exit with status N
 *   fake:sleep    wait for a signal
 *   (none)        exit 0
 * SIGTERM and SIGINT make it exit 0, as qemu does.
 * Given --socket-path=P (as virtiofsd is), it is a fake virtiofsd instead: it listens on the
 * unix socket P, prints nothing and waits for a signal.
 *
 * Build: gcc -static -O2 -o fake-monitor fake_monitor.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

/* Host library binds must be read-only: report what opening libc for writing does. */
#define WRITABLE_PROBE "/lib/x86_64-linux-gnu/libc.so.6"
#define MAX_FILE 65536

static void json_str(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c < 0x20 || c == 0x7f) printf("\\u%04x", c);
    else putchar(c); /* bytes >= 0x80 pass through: paths and args are UTF-8 in practice */
  }
  putchar('"');
}

static void json_cstr(const char *s) { json_str(s, strlen(s)); }

static void json_str_array(const char *key, char **v, int n) {
  printf(",\"%s\":[", key);
  for (int i = 0; (n < 0 ? v[i] != NULL : i < n); i++) {
    if (i) putchar(',');
    json_cstr(v[i]);
  }
  putchar(']');
}

/* Open fds, without counting the descriptor used to list them. */
static void json_fds(void) {
  fputs(",\"fds\":[", stdout);
  int first = 1;
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
      printf(first ? "%s" : ",%s", e->d_name);
      first = 0;
    }
    closedir(d);
  } else {
    for (int fd = 0; fd < 1024; fd++) {
      if (fcntl(fd, F_GETFD) == -1) continue;
      printf(first ? "%d" : ",%d", fd);
      first = 0;
    }
  }
  putchar(']');
}

/* Content of every `--config-file X` / `--config-file=X` (firecracker's way of taking config). */
static void json_files(int argc, char **argv) {
  fputs(",\"files\":{", stdout);
  int first = 1;
  for (int i = 1; i < argc; i++) {
    const char *path = NULL;
    if (strcmp(argv[i], "--config-file") == 0 && i + 1 < argc) path = argv[++i];
    else if (strncmp(argv[i], "--config-file=", 14) == 0) path = argv[i] + 14;
    if (!path) continue;
    static char buf[MAX_FILE];
    ssize_t n = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      n = read(fd, buf, sizeof buf);
      close(fd);
    }
    if (!first) putchar(',');
    first = 0;
    json_cstr(path);
    putchar(':');
    if (n >= 0) json_str(buf, (size_t)n);
    else printf("null");
  }
  putchar('}');
}

static void on_signal(int sig) {
  (void)sig;
  _exit(0);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--socket-path=", 14) != 0) continue;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, argv[i] + 14, sizeof addr.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1) != 0) {
      perror("fake virtiofsd");
      return 1;
    }
    for (;;) pause();
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  printf("{\"fake\":\"monitor\",\"pid\":%d,\"ppid\":%d", getpid(), getppid());
  json_str_array("argv", argv, argc);
  json_str_array("env", environ, -1);
  json_fds();
  printf(",\"uid\":%u,\"gid\":%u,\"groups\":[", getuid(), getgid());
  gid_t groups[256];
  int ngroups = getgroups(256, groups);
  for (int i = 0; i < ngroups; i++) printf(i ? ",%u" : "%u", groups[i]);
  char cwd[4096];
  fputs("],\"cwd\":", stdout);
  if (getcwd(cwd, sizeof cwd)) json_cstr(cwd);
  else printf("null");
  struct stat root;
  if (stat("/", &root) == 0) {
    printf(",\"rootIno\":%llu,\"rootDev\":%llu", (unsigned long long)root.st_ino,
           (unsigned long long)root.st_dev);
  }
  printf(",\"tty\":%s", isatty(0) && isatty(1) ? "true" : "false");
  printf(",\"seccompMode\":%d,\"nnp\":%d", prctl(PR_GET_SECCOMP, 0, 0, 0, 0),
         prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  json_files(argc, argv);
  int wfd = open(WRITABLE_PROBE, O_WRONLY | O_CLOEXEC);
  int werr = wfd >= 0 ? 0 : errno;
  if (wfd >= 0) close(wfd);
  fputs(",\"writable\":{\"path\":", stdout);
  json_cstr(WRITABLE_PROBE);
  printf(",\"errno\":%d,\"error\":", werr);
  json_cstr(werr ? strerror(werr) : "opened for writing");
  fputs("}}\n", stdout);
  fflush(stdout);

  for (int i = 1; i < argc; i++) {
    const char *m = strstr(argv[i], "fake:exit=");
    if (m) return atoi(m + strlen("fake:exit="));
    if (strstr(argv[i], "fake:sleep")) {
      for (;;) pause();
    }
  }
  return 0;
}
