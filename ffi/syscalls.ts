// The one typed seam between urunc and the kernel. Lifecycle and host code take
// a `Syscalls` parameter: `realSyscalls()` for production and integration tests,
// a recorder (tests/fakes/recording_syscalls.ts) for unit tests.

import { check, cstr, cstrArray, errno, libc, SyscallError } from "./libc.ts";
import { CLOSE_RANGE_CLOEXEC, O, SECCOMP_SET_MODE_FILTER, SYS } from "./constants.ts";

export interface Syscalls {
  /** open(2); returns the fd. */
  open(path: string, flags: number, mode?: number): number;
  close(fd: number): void;
  write(fd: number, data: Uint8Array): number;
  /** read(2) into a fresh buffer of at most `max` bytes; empty on EOF. */
  read(fd: number, max: number): Uint8Array;
  unshare(flags: number): void;
  /** setns(2); `what` names the namespace in errors (a path or kind). */
  setns(fd: number, nstype: number, what: string): void;
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data: string | null,
  ): void;
  umount(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  chdir(path: string): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  mkfifo(path: string, mode: number): void;
  chown(path: string, uid: number, gid: number): void;
  setsid(): number;
  /** Make `fd` the controlling terminal of the calling session leader. */
  setControllingTty(fd: number): void;
  dup2(oldFd: number, newFd: number): void;
  /** setgroups + setresgid + setresuid, in that order (groups always reset). */
  setCredentials(uid: number, gid: number, groups: readonly number[]): void;
  /** Mark every fd >= `from` close-on-exec. */
  closeFromOnExec(from: number): void;
  /**
   * execve(2). With `filter`, no_new_privs and the seccomp filter go in right
   * before it, after the arguments are built: the filter may forbid anything else.
   */
  execve(
    path: string,
    argv: readonly string[],
    env: readonly string[],
    filter?: { program: Uint8Array; instructions: number },
  ): never;
  /** pidfd_open(2): a handle on exactly this process; null when it does not exist. */
  pidfdOpen(pid: number): number | null;
  /** pidfd_send_signal(2); false when the process has exited. */
  pidfdSignal(pidfd: number, signal: number): boolean;
  sethostname(name: string): void;
  /** flock(2) with LOCK_EX; blocks until held. */
  lockExclusive(fd: number, what: string): void;
  /** poll(2) one fd for `events`; returns revents, 0 on timeout. */
  poll(fd: number, events: number, timeoutMs: number): number;
  /**
   * A loop device's autoclear flag (LOOP_GET_STATUS64); with `set`, it is changed
   * to that (LOOP_SET_STATUS64) and the previous value returned.
   */
  loopAutoclear(device: string, set?: boolean): boolean;
}

/** struct loop_info64 (linux/loop.h): 232 bytes, lo_flags at 52. */
const LOOP_INFO64_SIZE = 232;
const LO_FLAGS_OFFSET = 52;
const LO_FLAGS_AUTOCLEAR = 4;
const LOOP_SET_STATUS64 = 0x4c04n;
const LOOP_GET_STATUS64 = 0x4c05n;

export const POLLIN = 0x1;
export const POLLHUP = 0x10;
export const POLLERR = 0x8;

export function realSyscalls(): Syscalls {
  const c = libc();
  return {
    open(path, flags, mode = 0) {
      return check(c.open(cstr(path), flags | O.CLOEXEC, mode), "open", path);
    },
    close(fd) {
      check(c.close(fd), "close", String(fd));
    },
    write(fd, data) {
      return Number(
        check(
          c.write(fd, data as Uint8Array<ArrayBuffer>, BigInt(data.length)),
          "write",
          `fd ${fd}`,
        ),
      );
    },
    read(fd, max) {
      const buf = new Uint8Array(max);
      for (;;) {
        const n = c.read(fd, buf, BigInt(max));
        if (n >= 0) return buf.subarray(0, Number(n));
        const e = errno();
        if (e !== 4) throw new SyscallError("read", e, `fd ${fd}`);
      }
    },
    unshare(flags) {
      check(c.unshare(flags), "unshare", `0x${flags.toString(16)}`);
    },
    setns(fd, nstype, what) {
      check(c.setns(fd, nstype), "setns", what);
    },
    mount(source, target, fstype, flags, data) {
      check(
        c.mount(
          source === null ? null : cstr(source),
          cstr(target),
          fstype === null ? null : cstr(fstype),
          BigInt(flags),
          data === null ? null : cstr(data),
        ),
        "mount",
        `${source ?? "none"} on ${target}`,
      );
    },
    umount(target, flags) {
      check(c.umount2(cstr(target), flags), "umount2", target);
    },
    pivotRoot(newRoot, putOld) {
      check(
        c.syscall_ptr(BigInt(SYS.pivot_root), cstr(newRoot), cstr(putOld), 0n),
        "pivot_root",
        `${newRoot}, ${putOld}`,
      );
    },
    chdir(path) {
      check(c.chdir(cstr(path)), "chdir", path);
    },
    mknod(path, mode, major, minor) {
      // glibc's makedev() encoding of dev_t
      const dev = (BigInt(major & 0xfff) << 8n) | BigInt(minor & 0xff) |
        (BigInt(minor & ~0xff) << 12n) | (BigInt(major & ~0xfff) << 32n);
      check(c.mknod(cstr(path), mode, dev), "mknod", path);
    },
    mkfifo(path, mode) {
      check(c.mkfifo(cstr(path), mode), "mkfifo", path);
    },
    chown(path, uid, gid) {
      check(c.chown(cstr(path), uid, gid), "chown", path);
    },
    setsid() {
      return check(c.setsid(), "setsid");
    },
    loopAutoclear(device, set) {
      const fd = check(c.open(cstr(device), O.RDONLY | O.CLOEXEC, 0), "open", device);
      try {
        const info = new Uint8Array(LOOP_INFO64_SIZE);
        check(c.ioctl(fd, LOOP_GET_STATUS64, info), "ioctl(LOOP_GET_STATUS64)", device);
        const view = new DataView(info.buffer);
        const flags = view.getUint32(LO_FLAGS_OFFSET, true);
        const was = (flags & LO_FLAGS_AUTOCLEAR) !== 0;
        if (set !== undefined && set !== was) {
          const next = set ? flags | LO_FLAGS_AUTOCLEAR : flags & ~LO_FLAGS_AUTOCLEAR;
          view.setUint32(LO_FLAGS_OFFSET, next, true);
          check(c.ioctl(fd, LOOP_SET_STATUS64, info), "ioctl(LOOP_SET_STATUS64)", device);
        }
        return was;
      } finally {
        c.close(fd);
      }
    },
    setControllingTty(fd) {
      check(c.ioctl_int(fd, 0x540en, 0n), "ioctl(TIOCSCTTY)", `fd ${fd}`);
    },
    dup2(oldFd, newFd) {
      check(c.dup2(oldFd, newFd), "dup2", `${oldFd} -> ${newFd}`);
    },
    setCredentials(uid, gid, groups) {
      const list = new Uint32Array(groups);
      check(c.setgroups(BigInt(groups.length), list), "setgroups", groups.join(",") || "[]");
      check(c.setresgid(gid, gid, gid), "setresgid", String(gid));
      check(c.setresuid(uid, uid, uid), "setresuid", String(uid));
    },
    closeFromOnExec(from) {
      check(
        c.syscall3(BigInt(SYS.close_range), BigInt(from), 0xffffffffn, BigInt(CLOSE_RANGE_CLOEXEC)),
        "close_range",
        `${from}..`,
      );
    },
    execve(path, argv, env, filter) {
      const file = cstr(path);
      const a = cstrArray(argv);
      const e = cstrArray(env);
      if (filter) {
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (16 bytes, padded)
        const fprog = new Uint8Array(16);
        const view = new DataView(fprog.buffer);
        view.setUint16(0, filter.instructions, true);
        const program = filter.program as Uint8Array<ArrayBuffer>;
        view.setBigUint64(
          8,
          BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(program))),
          true,
        );
        const fprogPtr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(fprog)));
        check(c.prctl(38, 1n, 0n, 0n, 0n), "prctl(PR_SET_NO_NEW_PRIVS)");
        // This thread only: the others end at execve and must not trip the filter first.
        check(
          c.syscall3(BigInt(SYS.seccomp), BigInt(SECCOMP_SET_MODE_FILTER), 0n, fprogPtr),
          "seccomp(SECCOMP_SET_MODE_FILTER)",
        );
      }
      c.execve(file, a.array, e.array);
      throw new SyscallError("execve", errno(), path);
    },
    pidfdOpen(pid) {
      if (pid <= 0) return null;
      const fd = c.syscall3(BigInt(SYS.pidfd_open), BigInt(pid), 0n, 0n);
      if (fd >= 0n) return Number(fd);
      const e = errno();
      if (e === 3) return null;
      throw new SyscallError("pidfd_open", e, `pid ${pid}`);
    },
    pidfdSignal(pidfd, signal) {
      // pidfd_send_signal(pidfd, sig, info = NULL, flags = 0)
      const r = c.syscall4(BigInt(SYS.pidfd_send_signal), BigInt(pidfd), BigInt(signal), 0n, 0n);
      if (r === 0n) return true;
      const e = errno();
      if (e === 3) return false;
      throw new SyscallError("pidfd_send_signal", e, `signal ${signal}`);
    },
    sethostname(name) {
      const b = new TextEncoder().encode(name);
      check(c.sethostname(b, BigInt(b.length)), "sethostname", name);
    },
    lockExclusive(fd, what) {
      for (;;) {
        if (c.flock(fd, 2) === 0) return;
        const e = errno();
        if (e !== 4) throw new SyscallError("flock", e, what);
      }
    },
    poll(fd, events, timeoutMs) {
      const pfd = new Uint8Array(8);
      const v = new DataView(pfd.buffer);
      v.setInt32(0, fd, true);
      v.setInt16(4, events, true);
      for (;;) {
        const n = c.poll(pfd, 1n, timeoutMs);
        if (n >= 0) return n === 0 ? 0 : v.getInt16(6, true);
        const e = errno();
        if (e !== 4) throw new SyscallError("poll", e, `fd ${fd}`);
      }
    },
  };
}
