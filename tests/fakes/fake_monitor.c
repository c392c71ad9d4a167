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
 *   fake:tick     print "tick N" every 20 ms (progress a frozen cgroup stops)
 *   fake:alloc=N  touch N MiB of memory, then wait for a signal (the OOM killer's target)
 *   fake:late-handlers=MS  (with another marker) install the SIGTERM/SIGINT handlers MS ms late
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
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
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

static void json_caps(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  syscall(SYS_capget, &hdr, data);
  unsigned long long eff = data[0].effective | ((unsigned long long)data[1].effective << 32);
  unsigned long long prm = data[0].permitted | ((unsigned long long)data[1].permitted << 32);
  unsigned long long inh = data[0].inheritable | ((unsigned long long)data[1].inheritable << 32);
  unsigned long long bnd = 0, amb = 0;
  for (int c = 0; c < 64; c++) {
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) bnd |= 1ULL << c;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1) amb |= 1ULL << c;
  }
  printf(",\"caps\":{\"eff\":\"0x%llx\",\"prm\":\"0x%llx\",\"inh\":\"0x%llx\","
         "\"bnd\":\"0x%llx\",\"amb\":\"0x%llx\"}",
         eff, prm, inh, bnd, amb);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  printf(",\"nofile\":[%llu,%llu]", (unsigned long long)rl.rlim_cur,
         (unsigned long long)rl.rlim_max);
}

static int err_of(int r) { return r < 0 ? errno : 0; }

/* mknod a block device (loop0) at `path`, then open it: 0 only if the host disk is reachable. */
static void probe_node(const char *key, const char *path) {
  int mk = err_of(mknod(path, S_IFBLK | 0600, makedev(7, 0)));
  int op = ENOENT;
  if (mk == 0) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    op = err_of(fd);
    if (fd >= 0) close(fd);
    unlink(path);
  }
  printf(",\"%sMknod\":%d,\"%sOpen\":%d", key, mk, key, op);
}

static void probes(const char *self) {
  fputs(",\"probes\":{", stdout);
  /* Make the read-only bind of our own binary writable, then write to it. */
  printf("\"remount\":%d", err_of(mount(NULL, self, NULL, MS_BIND | MS_REMOUNT, NULL)));
  /* Opening our own running binary for writing is ETXTBSY anyway: ask the mount instead. */
  struct statvfs vfs;
  printf(",\"selfReadOnly\":%s",
         statvfs(self, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) ? "true" : "false");
  /* The "shocker" escape: a hand-made handle for inode 2 (a filesystem root). */
  struct {
    struct file_handle fh;
    unsigned char bytes[8];
  } h;
  memset(&h, 0, sizeof h);
  h.fh.handle_bytes = 8;
  h.fh.handle_type = 1; /* FILEID_INO32_GEN */
  h.bytes[0] = 2;
  int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int hfd = open_by_handle_at(rootfd, &h.fh, O_RDONLY);
  printf(",\"openByHandle\":%d", err_of(hfd));
  if (hfd >= 0) close(hfd);
  if (rootfd >= 0) close(rootfd);
  probe_node("tmp", "/tmp/fake-probe-blk");
  probe_node("root", "/fake-probe-blk");
  /* A setuid-root binary in the image must not make us root. */
  struct stat st;
  if (stat("/suid-probe", &st) == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      char *args[] = {"/suid-probe", "fake:whoami", NULL};
      char *env[] = {NULL};
      execve("/suid-probe", args, env);
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf(",\"suidExit\":%d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  putchar('}');
}

static void on_signal(int sig) {
  (void)sig;
  _exit(0);
}

int main(int argc, char **argv) {
  /* qemu installs its handlers only after a slow start; until then, as PID 1 of its
   * namespace, it loses SIGTERM from outside. fake:late-handlers=MS plays that. */
  for (int i = 1; i < argc; i++) {
    const char *l = strstr(argv[i], "fake:late-handlers=");
    if (l) usleep(1000 * atoi(l + strlen("fake:late-handlers=")));
  }
  if (argc > 1 && strcmp(argv[1], "fake:whoami") == 0) return geteuid() == 0 ? 100 : 101;
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
  json_caps();
  for (int i = 1; i < argc; i++) {
    if (strstr(argv[i], "fake:probe")) {
      probes(argv[0]);
      break;
    }
  }
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
    if (strstr(argv[i], "fake:tick")) {
      for (unsigned long n = 1;; n++) {
        printf("tick %lu\n", n);
        fflush(stdout);
        usleep(20000);
      }
    }
    const char *a = strstr(argv[i], "fake:alloc=");
    if (a) {
      size_t mib = strtoul(a + strlen("fake:alloc="), NULL, 10);
      for (size_t k = 0; k < mib; k++) {
        char *p = malloc(1 << 20);
        if (p) memset(p, 1, 1 << 20);
      }
      puts("allocated");
      fflush(stdout);
      for (;;) pause();
    }
  }
  return 0;
}
