// The only place that dlopens libc. Every symbol is typed from its C prototype
// (LP64: long/size_t/pointer = 64 bit, int = 32 bit); callers go through the
// `Syscalls` seam in ./syscalls.ts rather than using this table directly.

import { errnoName } from "./errno.ts";

export { errnoName };

const SYMBOLS = {
  // int *__errno_location(void)
  __errno_location: { parameters: [], result: "pointer" },
  // char *strerror(int errnum)
  strerror: { parameters: ["i32"], result: "pointer" },
  // int open(const char *path, int flags, mode_t mode)
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t count)
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // ssize_t write(int fd, const void *buf, size_t count)
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int unshare(int flags)
  unshare: { parameters: ["i32"], result: "i32" },
  // int setns(int fd, int nstype)
  setns: { parameters: ["i32", "i32"], result: "i32" },
  // int mount(const char *src, const char *target, const char *fstype, unsigned long flags, const void *data)
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "buffer"], result: "i32" },
  // int umount2(const char *target, int flags)
  umount2: { parameters: ["buffer", "i32"], result: "i32" },
  // int chdir(const char *path)
  chdir: { parameters: ["buffer"], result: "i32" },
  // int mknod(const char *path, mode_t mode, dev_t dev)
  mknod: { parameters: ["buffer", "u32", "u64"], result: "i32" },
  // int mkfifo(const char *path, mode_t mode)
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
  // int chown(const char *path, uid_t owner, gid_t group)
  chown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
  // pid_t setsid(void)
  setsid: { parameters: [], result: "i32" },
  // int ioctl(int fd, unsigned long request, ...) -- called with one pointer or integer argument
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  ioctl_int: { name: "ioctl", parameters: ["i32", "u64", "u64"], result: "i32" },
  // int dup2(int oldfd, int newfd)
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  // int setgroups(size_t size, const gid_t *list)
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  // int setresgid(gid_t r, gid_t e, gid_t s)
  setresgid: { parameters: ["u32", "u32", "u32"], result: "i32" },
  // int setresuid(uid_t r, uid_t e, uid_t s)
  setresuid: { parameters: ["u32", "u32", "u32"], result: "i32" },
  // int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  // int capset(cap_user_header_t hdr, const cap_user_data_t data)
  capset: { parameters: ["buffer", "buffer"], result: "i32" },
  // int prlimit(pid_t pid, int resource, const struct rlimit *new, struct rlimit *old)
  prlimit: { parameters: ["i32", "i32", "buffer", "buffer"], result: "i32" },
  // int statvfs(const char *path, struct statvfs *buf)
  statvfs: { parameters: ["buffer", "buffer"], result: "i32" },
  // int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  // long syscall(long number, ...) -- pivot_root, close_range, seccomp, pidfd_* take at most four word arguments
  syscall3: { name: "syscall", parameters: ["i64", "u64", "u64", "u64"], result: "i64" },
  syscall_ptr: { name: "syscall", parameters: ["i64", "buffer", "buffer", "u64"], result: "i64" },
  syscall4: { name: "syscall", parameters: ["i64", "u64", "u64", "u64", "u64"], result: "i64" },
  // int execve(const char *path, char *const argv[], char *const envp[])
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  // int kill(pid_t pid, int sig)
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // int socket(int domain, int type, int protocol)
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // int bind(int fd, const struct sockaddr *addr, socklen_t len)
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int connect(int fd, const struct sockaddr *addr, socklen_t len)
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  // ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen)
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  // ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *alen)
  recvfrom: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], result: "isize" },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  // int posix_openpt(int flags)
  posix_openpt: { parameters: ["i32"], result: "i32" },
  // int grantpt(int fd)
  grantpt: { parameters: ["i32"], result: "i32" },
  // int unlockpt(int fd)
  unlockpt: { parameters: ["i32"], result: "i32" },
  // int ptsname_r(int fd, char *buf, size_t len)
  ptsname_r: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t n, int timeout)
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  // int flock(int fd, int op)
  flock: { parameters: ["i32", "i32"], result: "i32" },
  // int sethostname(const char *name, size_t len)
  sethostname: { parameters: ["buffer", "usize"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

export type LibcSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
export type SymbolName = keyof typeof SYMBOLS;

/** Kept open: a symbol must not outlive its library. */
const opened: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];
let errnoLocation: LibcSymbols["__errno_location"] | undefined;

/**
 * Binds symbols in one dlopen. Binding costs ~0.25 ms a symbol (15 ms for the whole table,
 * on every CLI call that made one syscall); a command uses a handful, each bound on first
 * use. The init child binds what it needs after `start` while it waits, off the start path.
 * __errno_location comes with the first binding: dlopen may itself set errno, so errno()
 * must never be the one to bind.
 */
export function bindLibc(names: readonly SymbolName[]): void {
  const unbound = names.filter((n) => Object.getOwnPropertyDescriptor(table, n)?.get);
  if (unbound.length === 0) return;
  const wanted: Deno.ForeignLibraryInterface = {};
  for (const n of unbound) wanted[n] = SYMBOLS[n];
  if (errnoLocation === undefined) wanted.__errno_location = SYMBOLS.__errno_location;
  const lib = Deno.dlopen("libc.so.6", wanted);
  opened.push(lib);
  const symbols = lib.symbols as unknown as LibcSymbols;
  errnoLocation ??= symbols.__errno_location;
  for (const n of unbound) {
    Object.defineProperty(table, n, { value: symbols[n], enumerable: true });
  }
}

const table = {} as LibcSymbols;
for (const name of Object.keys(SYMBOLS) as SymbolName[]) {
  Object.defineProperty(table, name, {
    configurable: true,
    enumerable: true,
    get() {
      if (name === "__errno_location" && errnoLocation) {
        Object.defineProperty(table, name, { value: errnoLocation, enumerable: true });
      } else bindLibc([name]);
      return table[name];
    },
  });
}

/** The libc symbol table; each symbol is bound on first use (most CLI calls need few). */
export function libc(): LibcSymbols {
  return table;
}

/** errno of the last failing call; read it before any other libc call. */
export function errno(): number {
  if (errnoLocation === undefined) return 0; // no libc call has been made
  const p = errnoLocation();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

export function strerror(code: number): string {
  const p = libc().strerror(code);
  return p === null ? `errno ${code}` : new Deno.UnsafePointerView(p).getCString();
}

/** A failed system call: which call, on what, and the errno it returned. */
export class SyscallError extends Error {
  constructor(readonly call: string, readonly errno: number, readonly subject?: string) {
    super(
      `${call}${subject === undefined ? "" : `(${subject})`} failed: ${errnoName(errno)} (${
        strerror(errno)
      })`,
    );
    this.name = "SyscallError";
  }
}

/** Throw a SyscallError when a libc call returned -1 (or any negative value). */
export function check<T extends number | bigint>(result: T, call: string, subject?: string): T {
  if (result < 0) throw new SyscallError(call, errno(), subject);
  return result;
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `s` for passing as `const char *`. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(s + "\0");
}

/** A NULL-terminated `char *const[]` and the buffers it points into (keep both alive). */
export function cstrArray(
  items: readonly string[],
): { array: BigUint64Array<ArrayBuffer>; keep: Uint8Array[] } {
  const keep = items.map(cstr);
  const array = new BigUint64Array(items.length + 1);
  keep.forEach((b, i) => {
    array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  });
  return { array, keep };
}
