// The container's cgroup at create: plan it before anything exists (bad input
// fails first), then create, limit and join once the init child is spawned.

import type { Syscalls } from "../../../ffi/syscalls.ts";
import { UruncError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { OciSpec } from "../../oci/spec.ts";
import { type DeviceRule, parseResources } from "../../oci/resources.ts";
import { type CgroupLayout, parseLayout } from "../../plan/cgroups/hierarchy.ts";
import { type LimitPlan, planLimits } from "../../plan/cgroups/limits.ts";
import { resolveCgroupPath } from "../../plan/cgroups/path.ts";
import type { LaunchPlan, PlanInput } from "../../plan/types.ts";
import { splitDev } from "../jail.ts";
import { realCgroupFs } from "./fs.ts";
import {
  applyLimits,
  type CgroupLedger,
  type CgroupState,
  createCgroupDirs,
  joinCgroups,
} from "./manager.ts";

export interface PreparedCgroup {
  path: string;
  layout: CgroupLayout;
  limits: LimitPlan;
  guestMemoryMiB: number;
  memoryOverheadMiB: number;
}

/** The host's hierarchies as this process sees them. */
export function hostLayout(): CgroupLayout {
  const layout = parseLayout(
    Deno.readTextFileSync("/proc/self/mountinfo"),
    Deno.readTextFileSync("/proc/self/cgroup"),
  );
  if (layout.hierarchies.length === 0) {
    throw new UruncError("no cgroup hierarchy is mounted (see /proc/self/mountinfo)");
  }
  return layout;
}

/**
 * With a terminal the init child opens (and the monitor inherits) the pty slave
 * urunc made: a spec's device list need not allow it (Docker's does not), and
 * its minor is only known after the cgroup is planned, so the Unix98 slave
 * majors (136-143), read-write only. The jail has no node for any other pty.
 */
const PTY_SLAVES: DeviceRule[] = Array.from(
  { length: 8 },
  (_, i) => ({ allow: true, type: "c" as const, major: 136 + i, minor: null, access: "rw" }),
);

/** Devices urunc and the monitor open, allowed after the spec's rules (neither runs without them). */
function monitorDevices(paths: readonly string[]): DeviceRule[] {
  const out: DeviceRule[] = [];
  for (const p of paths) {
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(p);
    } catch {
      continue; // the jail reports a missing node itself
    }
    if (st.rdev === null || !(st.isCharDevice || st.isBlockDevice)) continue;
    const { major, minor } = splitDev(st.rdev);
    out.push({ allow: true, type: st.isBlockDevice ? "b" : "c", major, minor, access: "rwm" });
  }
  return out;
}

/** Everything decided before anything exists: bad input fails here. */
export function prepareContainerCgroup(
  spec: OciSpec,
  inputs: PlanInput,
  /** The plan without network: the guest size and the jail's devices, as the init child's. */
  plan: LaunchPlan,
  systemd: boolean,
  log: Logger,
): PreparedCgroup | null {
  const linux = spec.linux as { cgroupsPath?: unknown; resources?: unknown } | undefined;
  const raw = linux?.cgroupsPath;
  if (raw !== undefined && typeof raw !== "string") {
    throw new UruncError(`invalid config.json: field "linux.cgroupsPath": expected a string`);
  }
  const resources = parseResources(linux?.resources, "config.json", "linux.resources.");
  const path = resolveCgroupPath({ cgroupsPath: raw, systemd });
  if (path === null) return null;
  if (systemd) {
    try {
      Deno.statSync("/run/systemd/system");
      log.warn(
        `systemd is running: urunc creates ${path} itself; systemd does not manage it as a unit`,
      );
    } catch { /* no systemd: runc's path mapping is all there is */ }
  }
  const layout = hostLayout();
  const memoryOverheadMiB = inputs.host.monitors[inputs.config.hypervisor].memoryOverheadMiB;
  const guestMemoryMiB = plan.guest.memoryMiB;
  const limits = planLimits({
    resources,
    version: layout.version,
    guestMemoryMiB,
    memoryOverheadMiB,
    // The plan at create has no network yet: the tap (made by the init child, opened
    // by the monitor) needs /dev/net/tun whenever the container turns out to have one.
    monitorDevices: [
      ...monitorDevices([...new Set([...plan.jail.devices, "/dev/net/tun"])]),
      ...(spec.process.terminal ? PTY_SLAVES : []),
    ],
  });
  for (const w of limits.warnings) log.warn(w);
  return { path, layout, limits, guestMemoryMiB, memoryOverheadMiB };
}

/** Create the directories (ledgered first), write the limits, move `pid` in. */
export function applyContainerCgroup(
  sys: Syscalls,
  prepared: PreparedCgroup,
  ledger: CgroupLedger,
  pid: number,
  step: (name: string) => void = () => {},
): CgroupState {
  const fs = realCgroupFs(() => sys);
  const dirs = createCgroupDirs(
    fs,
    prepared.layout,
    prepared.path,
    ledger,
    () => step("cgroup:after-mkdir"),
  );
  const cg: CgroupState = {
    version: prepared.layout.version,
    path: prepared.path,
    dirs,
    guestMemoryMiB: prepared.guestMemoryMiB,
    memoryOverheadMiB: prepared.memoryOverheadMiB,
  };
  applyLimits(fs, cg, prepared.limits);
  step("cgroup:after-limits");
  joinCgroups(fs, cg, pid);
  return cg;
}
