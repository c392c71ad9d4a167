// The seccomp filter urunc installs for solo5-hvt right before execve (upstream
// reference §4.4): an allow-list, everything else traps (SIGSYS). The host layer
// sets no_new_privs first; the filter then survives execve and confines hvt.
// Newer solo5 tenders install their own, stricter filter (libseccomp) after
// start-up: seccomp(2) and the prctl options that takes are allowed for that,
// and can only add restrictions (stacked filters all apply).

import {
  assemble,
  encode,
  type Op,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_TRAP,
  seccompArgLow,
} from "./bpf.ts";
import { AUDIT_ARCH, SYSCALLS } from "./syscalls.ts";
import type { Arch } from "../types.ts";

/** Exactly the 43 names upstream allows, in upstream's order. */
export const HVT_ALLOWED = [
  "rt_sigaction",
  "ioctl",
  "pread64",
  "mmap",
  "recvmsg",
  "openat",
  "sendto",
  "mprotect",
  "write",
  "epoll_ctl",
  "epoll_create1",
  "read",
  "open",
  "close",
  "fstat",
  "stat",
  "munmap",
  "brk",
  "access",
  "execve",
  "timerfd_create",
  "arch_prctl",
  "lseek",
  "personality",
  "socket",
  "bind",
  "getsockname",
  "exit",
  "exit_group",
  "getpid",
  "tgkill",
  "nanosleep",
  "futex",
  "epoll_pwait",
  "rt_sigreturn",
  "timerfd_settime",
  "pwrite64",
  "newfstatat",
  "set_tid_address",
  "set_robust_list",
  "rseq",
  "prlimit64",
  "getrandom",
] as const;

/** prctl options a tender installing its own filter uses: {GET,SET}_SECCOMP, {SET,GET}_NO_NEW_PRIVS. */
export const HVT_PRCTL_OPTIONS = [21, 22, 38, 39] as const;

export interface SeccompProgram {
  program: Uint8Array;
  instructions: number;
  /** Allowed names that do not exist on this architecture (arm64: open, stat, access, arch_prctl). */
  absent: string[];
}

/**
 * arch check → load nr → one JEQ per allowed syscall, seccomp, prctl with
 * an allowed option → TRAP, ALLOW. A foreign
 * architecture (e.g. x32/ia32 entry) traps as well. Names that do not exist on
 * the architecture are dropped: there is nothing to allow.
 */
export function hvtSeccompProgram(arch: Arch): SeccompProgram {
  const table = SYSCALLS[arch];
  const present = HVT_ALLOWED.filter((n) => n in table);
  const ops: Op[] = [
    { op: "ld", offset: SECCOMP_DATA_ARCH },
    { op: "jeq", k: AUDIT_ARCH[arch], jt: null, jf: "deny" },
    { op: "ld", offset: SECCOMP_DATA_NR },
    ...present.map((n): Op => ({ op: "jeq", k: table[n], jt: "allow", jf: null })),
    { op: "jeq", k: table.seccomp, jt: "allow", jf: null },
    { op: "jeq", k: table.prctl, jt: null, jf: "deny" },
    // prctl's option is an int: the low half of args[0].
    { op: "ld", offset: seccompArgLow(0) },
    ...HVT_PRCTL_OPTIONS.map((o): Op => ({ op: "jeq", k: o, jt: "allow", jf: null })),
    { op: "label", name: "deny" },
    { op: "ret", k: SECCOMP_RET_TRAP },
    { op: "label", name: "allow" },
    { op: "ret", k: SECCOMP_RET_ALLOW },
  ];
  const insns = assemble(ops);
  return {
    program: encode(insns),
    instructions: insns.length,
    absent: HVT_ALLOWED.filter((n) => !(n in table)),
  };
}
