// The PrivilegePlan as create stores it in state.json and the init child reads
// it back: masks and limits as strings (JSON has no 64-bit integers), the
// seccomp program as base64. Its own module, free of zod: the child loads only this.

import type { PrivilegePlan } from "./privileges.ts";

export interface PrivilegeRecord {
  capabilities: {
    bounding: string;
    effective: string;
    permitted: string;
    inheritable: string;
    ambient: number[];
    last: number;
  };
  noNewPrivileges: boolean;
  rlimits: { resource: number; name: string; soft: string; hard: string }[];
  oomScoreAdj: number | null;
  seccomp: { programBase64: string; instructions: number; flags: number } | null;
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

export function toPrivilegeRecord(p: PrivilegePlan): PrivilegeRecord {
  const c = p.capabilities;
  return {
    capabilities: {
      bounding: hex(c.bounding),
      effective: hex(c.effective),
      permitted: hex(c.permitted),
      inheritable: hex(c.inheritable),
      ambient: [...c.ambient],
      last: c.last,
    },
    noNewPrivileges: p.noNewPrivileges,
    rlimits: p.rlimits.map((r) => ({ ...r, soft: String(r.soft), hard: String(r.hard) })),
    oomScoreAdj: p.oomScoreAdj,
    seccomp: p.seccomp === null ? null : {
      programBase64: btoa(String.fromCharCode(...p.seccomp.program)),
      instructions: p.seccomp.instructions,
      flags: p.seccomp.flags,
    },
  };
}

export function fromPrivilegeRecord(r: PrivilegeRecord): PrivilegePlan {
  const c = r.capabilities;
  return {
    capabilities: {
      bounding: BigInt(c.bounding),
      effective: BigInt(c.effective),
      permitted: BigInt(c.permitted),
      inheritable: BigInt(c.inheritable),
      ambient: [...c.ambient],
      last: c.last,
    },
    noNewPrivileges: r.noNewPrivileges,
    rlimits: r.rlimits.map((l) => ({ ...l, soft: BigInt(l.soft), hard: BigInt(l.hard) })),
    oomScoreAdj: r.oomScoreAdj,
    seccomp: r.seccomp === null ? null : {
      program: Uint8Array.from(atob(r.seccomp.programBase64), (ch) => ch.charCodeAt(0)),
      instructions: r.seccomp.instructions,
      flags: r.seccomp.flags,
    },
  };
}
