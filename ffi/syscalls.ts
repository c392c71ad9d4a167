// The one typed seam between urunc and the kernel. Lifecycle and host code take
// a `Syscalls` parameter: `realSyscalls()` for production and integration tests,
// a recorder (tests/fakes/recording_syscalls.ts) for unit tests.

import { check, cstr, cstrArray, errno, libc, SyscallError } from "./libc.ts";
import {
  BPF,
  CLOSE_RANGE_CLOEXEC,
  LINUX_CAPABILITY_VERSION_3,
  MS,
  O,
  PR_CAP_AMBIENT,
  PR_CAP_AMBIENT_CLEAR_ALL,
  PR_CAP_AMBIENT_RAISE,
  PR_CAPBSET_DROP,
  PR_SET_KEEPCAPS,
  PR_SET_NO_NEW_PRIVS,
  SECCOMP_SET_MODE_FILTER,
  SYS,
} from "./constants.ts";
import { ERRNO } from "./errno.ts";

/** A classic-BPF seccomp program (struct sock_filter[]) and its SECCOMP_FILTER_FLAG_* bits. */
export interface BpfFilter {
  program: Uint8Array;
  instructions: number;
  flags?: number;
}

/** The three per-thread capability sets capset(2) takes, as 64-bit masks. */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

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
  /** prctl(PR_CAPBSET_DROP): remove one capability from this thread's bounding set. */
  dropBoundingCap(cap: number): void;
  /** prctl(PR_SET_KEEPCAPS): keep the permitted set across a switch away from uid 0. */
  setKeepCaps(keep: boolean): void;
  /** capset(2) on the calling thread. */
  setCapabilities(sets: CapabilitySets): void;
  /** prctl(PR_CAP_AMBIENT): clear the ambient set, then raise each of `caps`. */
  setAmbientCaps(caps: readonly number[]): void;
  /** prctl(PR_SET_NO_NEW_PRIVS, 1). */
  setNoNewPrivs(): void;
  /** prlimit(2) on ourselves; the limits survive execve. */
  setRlimit(resource: number, soft: bigint, hard: bigint, name: string): void;
  /** seccomp(SECCOMP_SET_MODE_FILTER) on the calling thread only. */
  installSeccomp(filter: BpfFilter, what: string): void;
  /** The MS_* per-mount flags of the mount holding `path` (statvfs f_flag). */
  mountFlags(path: string): number;
  /**
   * execve(2). With `filters`, no_new_privs and each seccomp filter go in right
   * before it, after the arguments are built: a filter may forbid anything else.
   */
  execve(
    path: string,
    argv: readonly string[],
    env: readonly string[],
    filters?: readonly BpfFilter[],
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
   * bpf(BPF_PROG_LOAD) a cgroup device program (eBPF instructions, 8 bytes each),
   * then bpf(BPF_PROG_ATTACH) it to the cgroup v2 directory `cgroupFd`, replacing
   * the program attached there before. The cgroup keeps the program alive.
   */
  attachDeviceProgram(cgroupFd: number, insns: Uint8Array, what: string): void;
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
    dropBoundingCap(cap) {
      check(
        c.prctl(PR_CAPBSET_DROP, BigInt(cap), 0n, 0n, 0n),
        "prctl(PR_CAPBSET_DROP)",
        `cap ${cap}`,
      );
    },
    setKeepCaps(keep) {
      check(c.prctl(PR_SET_KEEPCAPS, keep ? 1n : 0n, 0n, 0n, 0n), "prctl(PR_SET_KEEPCAPS)");
    },
    setCapabilities(sets) {
      // struct __user_cap_header_struct { u32 version; int pid; } and, for
      // version 3, two struct __user_cap_data_struct { u32 effective, permitted, inheritable; }.
      const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, 0]);
      const data = new Uint32Array(6);
      [sets.effective, sets.permitted, sets.inheritable].forEach((mask, i) => {
        data[i] = Number(mask & 0xffffffffn);
        data[3 + i] = Number((mask >> 32n) & 0xffffffffn);
      });
      check(c.capset(header, data), "capset", capsSubject(sets));
    },
    setAmbientCaps(caps) {
      check(
        c.prctl(PR_CAP_AMBIENT, BigInt(PR_CAP_AMBIENT_CLEAR_ALL), 0n, 0n, 0n),
        "prctl(PR_CAP_AMBIENT_CLEAR_ALL)",
      );
      for (const cap of caps) {
        check(
          c.prctl(PR_CAP_AMBIENT, BigInt(PR_CAP_AMBIENT_RAISE), BigInt(cap), 0n, 0n),
          "prctl(PR_CAP_AMBIENT_RAISE)",
          `cap ${cap}`,
        );
      }
    },
    setNoNewPrivs() {
      check(c.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n), "prctl(PR_SET_NO_NEW_PRIVS)");
    },
    setRlimit(resource, soft, hard, name) {
      const limits = new BigUint64Array([soft, hard]);
      check(c.prlimit(0, resource, limits, null), "prlimit", `${name} ${soft}/${hard}`);
    },
    installSeccomp(filter, what) {
      loadSeccomp(c, filter, what);
    },
    mountFlags(path) {
      // struct statvfs (LP64 glibc): eight 64-bit counters, f_fsid, then f_flag at 72.
      const buf = new BigUint64Array(16);
      check(c.statvfs(cstr(path), buf), "statvfs", path);
      const st = Number(buf[9]);
      const same = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME;
      const ST_RELATIME = 0x1000;
      return (st & same) | (st & ST_RELATIME ? MS.RELATIME : 0);
    },
    execve(path, argv, env, filters = []) {
      const file = cstr(path);
      const a = cstrArray(argv);
      const e = cstrArray(env);
      if (filters.length > 0) {
        check(c.prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n), "prctl(PR_SET_NO_NEW_PRIVS)");
        for (const f of filters) loadSeccomp(c, f, "before execve");
      }
      c.execve(file, a.array, e.array);
      throw new SyscallError("execve", errno(), path);
    },
    pidfdOpen(pid) {
      if (pid <= 0) return null;
      const fd = c.syscall3(BigInt(SYS.pidfd_open), BigInt(pid), 0n, 0n);
      if (fd >= 0n) return Number(fd);
      const e = errno();
      if (e === ERRNO.ESRCH) return null;
      throw new SyscallError("pidfd_open", e, `pid ${pid}`);
    },
    pidfdSignal(pidfd, signal) {
      // pidfd_send_signal(pidfd, sig, info = NULL, flags = 0)
      const r = c.syscall4(BigInt(SYS.pidfd_send_signal), BigInt(pidfd), BigInt(signal), 0n, 0n);
      if (r === 0n) return true;
      const e = errno();
      if (e === ERRNO.ESRCH) return false;
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
    attachDeviceProgram(cgroupFd, insns, what) {
      const ptr = (b: Uint8Array) =>
        BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b as Uint8Array<ArrayBuffer>)));
      const license = cstr("Apache-2.0");
      const logBuf = new Uint8Array(4096);
      // union bpf_attr, BPF_PROG_LOAD: prog_type, insn_cnt, insns, license, log_level,
      // log_size, log_buf (the rest zero)
      const load = new Uint8Array(128);
      const lv = new DataView(load.buffer);
      lv.setUint32(0, BPF.PROG_TYPE_CGROUP_DEVICE, true);
      lv.setUint32(4, insns.length / 8, true);
      lv.setBigUint64(8, ptr(insns), true);
      lv.setBigUint64(16, ptr(license), true);
      lv.setUint32(24, 1, true);
      lv.setUint32(28, logBuf.length, true);
      lv.setBigUint64(32, ptr(logBuf), true);
      const prog = c.syscall3(BigInt(SYS.bpf), BigInt(BPF.PROG_LOAD), ptr(load), 128n);
      if (prog < 0n) {
        const e = errno();
        const verifier = new TextDecoder().decode(logBuf.subarray(0, logBuf.indexOf(0)));
        throw new SyscallError(
          "bpf(BPF_PROG_LOAD)",
          e,
          `device program for ${what}${verifier ? `: ${verifier.trim()}` : ""}`,
        );
      }
      try {
        // BPF_PROG_ATTACH: target_fd, attach_bpf_fd, attach_type, attach_flags (0: one
        // program per cgroup, a new attach replaces it)
        const attach = new Uint8Array(20);
        const av = new DataView(attach.buffer);
        av.setUint32(0, cgroupFd, true);
        av.setUint32(4, Number(prog), true);
        av.setUint32(8, BPF.CGROUP_DEVICE, true);
        check(
          c.syscall3(BigInt(SYS.bpf), BigInt(BPF.PROG_ATTACH), ptr(attach), 20n),
          "bpf(BPF_PROG_ATTACH)",
          what,
        );
      } finally {
        c.close(Number(prog));
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

function capsSubject(s: CapabilitySets): string {
  const hex = (m: bigint) => `0x${m.toString(16)}`;
  return `effective ${hex(s.effective)}, permitted ${hex(s.permitted)}, inheritable ${
    hex(s.inheritable)
  }`;
}

/** seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog): this thread only (Deno's others end at execve). */
function loadSeccomp(c: ReturnType<typeof libc>, filter: BpfFilter, what: string): void {
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (16 bytes, padded)
  const fprog = new Uint8Array(16);
  const view = new DataView(fprog.buffer);
  view.setUint16(0, filter.instructions, true);
  const program = filter.program as Uint8Array<ArrayBuffer>;
  view.setBigUint64(8, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(program))), true);
  const fprogPtr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(fprog)));
  check(
    c.syscall3(
      BigInt(SYS.seccomp),
      BigInt(SECCOMP_SET_MODE_FILTER),
      BigInt(filter.flags ?? 0),
      fprogPtr,
    ),
    "seccomp(SECCOMP_SET_MODE_FILTER)",
    what,
  );
}
