// Kernel ABI constants (include/uapi), x86_64 and aarch64 share these unless noted.

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWTIME: 0x00000080,
  FS: 0x00000200,
} as const;

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  REC: 0x4000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
} as const;

export const MNT_DETACH = 2;

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

export const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  PWR: 30,
  SYS: 31,
};

export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_SET_PDEATHSIG = 1;
export const PR_SET_NAME = 15;

export const TIOCSCTTY = 0x540e;

export const LOCK_EX = 2;
export const LOCK_NB = 4;

/** Syscall numbers for calls glibc has no usable wrapper for. */
export const SYS = Deno.build.arch === "aarch64"
  ? { pivot_root: 41, close_range: 436, seccomp: 277, pidfd_open: 434, pidfd_send_signal: 424 }
  : { pivot_root: 155, close_range: 436, seccomp: 317, pidfd_open: 434, pidfd_send_signal: 424 };

export const CLOSE_RANGE_CLOEXEC = 1 << 2;
export const SECCOMP_SET_MODE_FILTER = 1;
