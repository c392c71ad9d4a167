// What the monitor may do, from the spec's process section, as runc gives it to
// a container process: capability sets, no_new_privs, rlimits, oom_score_adj and
// the linux.seccomp filter. Pure: names are checked and turned into numbers here;
// lib/host/privileges.ts applies the result in the init child.

import { quote, UruncError } from "../errors.ts";
import type { OciSpec } from "../oci/spec.ts";
import { compileSeccomp, type SeccompFilter, type SeccompOverride } from "./seccomp/oci_profile.ts";
import type { Arch } from "./types.ts";

/** Capability names in bit order (linux/capability.h). */
export const CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
] as const;

/** RLIMIT_* numbers (asm-generic/resource.h; x86_64 and arm64 agree). */
export const RLIMITS: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

const RLIM_INFINITY = 0xffffffffffffffffn;

/** 64-bit masks, bit n = CAPABILITIES[n]. */
export interface CapabilityPlan {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  /** Bit numbers, in ascending order: raised one by one with PR_CAP_AMBIENT. */
  ambient: number[];
  /** Highest capability the running kernel knows (cap_last_cap); bits above are ignored. */
  last: number;
}

export interface RlimitPlan {
  resource: number;
  name: string;
  soft: bigint;
  hard: bigint;
}

export interface PrivilegePlan {
  capabilities: CapabilityPlan;
  noNewPrivileges: boolean;
  rlimits: RlimitPlan[];
  oomScoreAdj: number | null;
  /** The spec's seccomp filter (with the monitor's host-config override); null = unconfined. */
  seccomp: SeccompFilter | null;
}

export type CapabilitySetName = "bounding" | "effective" | "permitted" | "inheritable" | "ambient";
const SET_NAMES: readonly CapabilitySetName[] = [
  "bounding",
  "effective",
  "permitted",
  "inheritable",
  "ambient",
];

function capMask(names: readonly string[] | null | undefined, set: string, last: number): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) {
      throw new UruncError(
        `invalid process.capabilities.${set}: unknown capability ${quote(name)}`,
      );
    }
    // Known to OCI but not to this kernel: nothing to grant or drop (runc does the same).
    if (bit <= last) mask |= 1n << BigInt(bit);
  }
  return mask;
}

function bits(mask: bigint): number[] {
  const out: number[] = [];
  for (let b = 0; mask >> BigInt(b) !== 0n; b++) if ((mask >> BigInt(b)) & 1n) out.push(b);
  return out;
}

function names(mask: bigint): string {
  return bits(mask).map((b) => CAPABILITIES[b]).join(", ");
}

/** No capabilities in the spec means none at all, as in runc. */
export function capabilityPlan(spec: OciSpec, last: number): CapabilityPlan {
  const c = spec.process.capabilities ?? {};
  const m = Object.fromEntries(
    SET_NAMES.map((s) => [s, capMask(c[s], s, last)]),
  ) as Record<CapabilitySetName, bigint>;
  // capset(2) and PR_CAP_AMBIENT_RAISE would refuse these with a bare EPERM.
  const notPermitted = m.effective & ~m.permitted;
  if (notPermitted !== 0n) {
    throw new UruncError(
      `invalid process.capabilities: effective ${names(notPermitted)} not in permitted`,
    );
  }
  const notAmbient = m.ambient & ~(m.permitted & m.inheritable);
  if (notAmbient !== 0n) {
    throw new UruncError(
      `invalid process.capabilities: ambient ${
        names(notAmbient)
      } must also be in permitted and inheritable`,
    );
  }
  return {
    bounding: m.bounding,
    effective: m.effective,
    permitted: m.permitted,
    inheritable: m.inheritable,
    ambient: bits(m.ambient),
    last,
  };
}

function toLimit(v: number): bigint {
  const b = BigInt(v);
  return b > RLIM_INFINITY ? RLIM_INFINITY : b;
}

export function rlimitPlan(spec: OciSpec): RlimitPlan[] {
  const seen = new Set<string>();
  return (spec.process.rlimits ?? []).map((r, i) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) {
      throw new UruncError(
        `invalid process.rlimits.${i}.type: unknown resource ${quote(r.type)}; expected one of ${
          Object.keys(RLIMITS).join(", ")
        }`,
      );
    }
    if (seen.has(r.type)) {
      throw new UruncError(`invalid process.rlimits: ${r.type} is listed twice`);
    }
    seen.add(r.type);
    const soft = toLimit(r.soft), hard = toLimit(r.hard);
    if (soft > hard) {
      throw new UruncError(
        `invalid process.rlimits.${i}: ${r.type} soft limit ${soft} is above the hard limit ${hard}`,
      );
    }
    return { resource, name: r.type, soft, hard };
  });
}

export interface PrivilegeInput {
  arch: Arch;
  /** /proc/sys/kernel/cap_last_cap of the host. */
  capLast: number;
  /** [monitors.X] seccomp_allow, when set. */
  seccompOverride: SeccompOverride | null;
}

export function privilegePlan(spec: OciSpec, input: PrivilegeInput): PrivilegePlan {
  const raw = spec.linux?.seccomp;
  return {
    capabilities: capabilityPlan(spec, input.capLast),
    noNewPrivileges: spec.process.noNewPrivileges === true,
    rlimits: rlimitPlan(spec),
    oomScoreAdj: spec.process.oomScoreAdj ?? null,
    seccomp: raw === undefined || raw === null
      ? null
      : compileSeccomp(raw, input.arch, input.seccompOverride),
  };
}
