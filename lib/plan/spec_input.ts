// The parts of a validated OCI spec that the plan reads.

import type { OciSpec } from "../oci/spec.ts";
import type { PlanSpec } from "./types.ts";

const URUNC_PREFIX = "com.urunc.unikernel.";

export function toPlanSpec(spec: OciSpec): PlanSpec {
  const res = spec.linux?.resources;
  const limit = res?.memory?.limit ?? null;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.annotations ?? {})) {
    if (!k.startsWith(URUNC_PREFIX)) annotations[k] = v;
  }
  return {
    args: spec.process.args ?? [],
    env: spec.process.env ?? [],
    // -1 (and any negative value) means "no limit" in the OCI runtime spec.
    memoryLimitBytes: limit !== null && limit > 0 ? limit : null,
    cpuQuota: res?.cpu?.quota ?? null,
    cpuPeriod: res?.cpu?.period ?? null,
    seccomp: spec.linux?.seccomp !== undefined && spec.linux?.seccomp !== null,
    annotations,
    mounts: (spec.mounts ?? []).map((m) => ({
      destination: m.destination,
      type: m.type ?? "",
      source: m.source ?? "",
      options: m.options ?? [],
    })),
    uid: spec.process.user.uid,
    gid: spec.process.user.gid,
    cwd: spec.process.cwd,
    readonlyRootfs: spec.root.readonly === true,
    ownPidNamespace: (spec.linux?.namespaces ?? []).some((n) => n.type === "pid" && !n.path),
  };
}
