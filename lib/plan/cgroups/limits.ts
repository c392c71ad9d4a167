// linux.resources -> the cgroup files to write, in order (pure). The memory
// limit also sizes the guest (lib/plan/resources.ts); the cgroup gets that guest
// RAM plus the monitor's own overhead (host config), so a guest using all its
// RAM does not get its monitor OOM-killed. Anything asked for that this mapping
// cannot express is an error naming the field, never dropped.

import { UruncError } from "../../errors.ts";
import type { DeviceRule, LinuxResources } from "../../oci/resources.ts";
import { deviceProgram } from "./device_program.ts";

const MIB = 1024 * 1024;

/**
 * pids.max counts threads. Below this the init child (Deno, 7 threads measured
 * while it waits) cannot start its own threads and dies before the monitor
 * exists, an error nobody could read; qemu adds a few per vCPU.
 */
export const MIN_PIDS_LIMIT = 32;

export interface CgroupWrite {
  /** File name inside the container's cgroup; its prefix names the v1 controller. */
  file: string;
  value: string;
}

export interface LimitInput {
  resources: LinuxResources;
  version: 1 | 2;
  /** Guest RAM as the plan derived it (from memory.limit when set). */
  guestMemoryMiB: number;
  memoryOverheadMiB: number;
  /** Devices the monitor opens (its jail's /dev): allowed on top of the spec's list. */
  monitorDevices: DeviceRule[];
}

export interface LimitPlan {
  writes: CgroupWrite[];
  /** v2 only: the eBPF device program (null: no device rules asked). */
  deviceProgram: Uint8Array | null;
  warnings: string[];
}

/**
 * `update`: the same mapping, with the guest-size rule of create. The guest's
 * RAM was fixed when it booted, so a memory limit whose guest share is below it
 * is refused rather than letting the kernel OOM-kill the VM; device rules are
 * fixed at create (the shim resends them unchanged).
 */
export function planUpdate(
  resources: LinuxResources,
  cg: { version: 1 | 2; guestMemoryMiB: number; memoryOverheadMiB: number },
): LimitPlan {
  const limit = resources.memory?.limit ?? null;
  let guest = cg.guestMemoryMiB;
  if (limit !== null && limit > 0) {
    guest = Math.floor(limit / MIB);
    if (guest < cg.guestMemoryMiB) {
      throw new UruncError(
        `cannot set memory.limit ${limit}: its guest share of ${guest} MiB is below the ${cg.guestMemoryMiB} MiB of RAM the guest booted with`,
      );
    }
  }
  return planLimits({
    resources: { ...resources, devices: null },
    version: cg.version,
    guestMemoryMiB: guest,
    memoryOverheadMiB: cg.memoryOverheadMiB,
    monitorDevices: [],
  });
}

export function planLimits(input: LimitInput): LimitPlan {
  const writes: CgroupWrite[] = [];
  const warnings: string[] = [];
  const w = (file: string, value: string | number) => writes.push({ file, value: String(value) });
  const r = input.resources;
  const v2 = input.version === 2;
  refuseUnsupported(r);

  const mem = r.memory;
  if (mem) {
    const overhead = input.memoryOverheadMiB * MIB;
    const limit = mem.limit ?? null;
    const hasLimit = limit !== null && limit > 0;
    const cgLimit = hasLimit ? input.guestMemoryMiB * MIB + overhead : null;
    if (limit !== null && limit !== 0) {
      w(v2 ? "memory.max" : "memory.limit_in_bytes", cgLimit ?? (v2 ? "max" : -1));
    }
    const swap = mem.swap ?? null;
    if (swap !== null && swap !== 0) {
      if (v2) {
        if (swap > 0 && !hasLimit) {
          throw new UruncError(
            `invalid linux.resources.memory.swap ${swap}: on cgroup v2 it needs memory.limit`,
          );
        }
        if (swap > 0 && swap < limit!) {
          throw new UruncError(
            `invalid linux.resources.memory.swap ${swap}: below memory.limit ${limit}`,
          );
        }
        w("memory.swap.max", swap < 0 ? "max" : swap - limit!);
      } else {
        w("memory.memsw.limit_in_bytes", swap < 0 ? -1 : swap + (hasLimit ? overhead : 0));
      }
    }
    const reservation = mem.reservation ?? null;
    if (reservation !== null && reservation !== 0) {
      w(
        v2 ? "memory.low" : "memory.soft_limit_in_bytes",
        reservation < 0 ? (v2 ? "max" : -1) : reservation,
      );
    }
    if (mem.swappiness !== undefined && mem.swappiness !== null) {
      if (v2) {
        throw new UruncError(
          "linux.resources.memory.swappiness cannot be applied: cgroup v2 has no per-cgroup swappiness",
        );
      }
      w("memory.swappiness", mem.swappiness);
    }
    if (mem.disableOOMKiller === true) {
      if (v2) {
        throw new UruncError(
          "linux.resources.memory.disableOOMKiller cannot be applied: cgroup v2 cannot disable the OOM killer",
        );
      }
      w("memory.oom_control", 1);
    }
    for (const k of ["kernel", "kernelTCP"] as const) {
      if (mem[k] !== undefined && mem[k] !== null && mem[k] !== 0) {
        warnings.push(
          `linux.resources.memory.${k} is deprecated by the kernel and not applied (as runc)`,
        );
      }
    }
  }

  const cpu = r.cpu;
  if (cpu) {
    const shares = cpu.shares ?? 0;
    if (shares !== 0) {
      if (v2) w("cpu.weight", sharesToWeight(shares));
      else w("cpu.shares", shares);
    }
    const quota = cpu.quota ?? 0;
    const period = cpu.period ?? 0;
    if (v2) {
      if (quota !== 0 || period !== 0) {
        w("cpu.max", `${quota > 0 ? quota : "max"} ${period > 0 ? period : 100000}`);
      }
    } else {
      // period first: a quota is checked against the period already in place
      if (period !== 0) w("cpu.cfs_period_us", period);
      if (quota !== 0) w("cpu.cfs_quota_us", quota < 0 ? -1 : quota);
    }
    if (cpu.burst !== undefined && cpu.burst !== null) {
      w(v2 ? "cpu.max.burst" : "cpu.cfs_burst_us", cpu.burst);
    }
    if ((cpu.realtimePeriod ?? 0) !== 0 || (cpu.realtimeRuntime ?? 0) !== 0) {
      if (v2) {
        throw new UruncError(
          "linux.resources.cpu.realtimeRuntime/realtimePeriod cannot be applied: cgroup v2 has no real-time CPU limits",
        );
      }
      if ((cpu.realtimePeriod ?? 0) !== 0) w("cpu.rt_period_us", cpu.realtimePeriod!);
      if ((cpu.realtimeRuntime ?? 0) !== 0) w("cpu.rt_runtime_us", cpu.realtimeRuntime!);
    }
    if (cpu.idle !== undefined && cpu.idle !== null) w("cpu.idle", cpu.idle);
    if (cpu.cpus) w("cpuset.cpus", cpu.cpus);
    if (cpu.mems) w("cpuset.mems", cpu.mems);
  }

  if (r.pids) {
    if (r.pids.limit > 0 && r.pids.limit < MIN_PIDS_LIMIT) {
      throw new UruncError(
        `linux.resources.pids.limit ${r.pids.limit} is too low for a VM container: urunc's init and the monitor need at least ${MIN_PIDS_LIMIT} threads`,
      );
    }
    w("pids.max", r.pids.limit > 0 ? r.pids.limit : "max");
  }

  for (const h of r.hugepageLimits ?? []) {
    w(v2 ? `hugetlb.${h.pageSize}.max` : `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit);
  }

  let program: Uint8Array | null = null;
  if (r.devices && r.devices.length > 0) {
    const rules = [...r.devices, ...input.monitorDevices];
    if (v2) program = deviceProgram(rules);
    else for (const d of rules) w(d.allow ? "devices.allow" : "devices.deny", deviceLine(d));
  }

  for (const [key, value] of Object.entries(r.unified ?? {}).sort(([a], [b]) => a < b ? -1 : 1)) {
    if (!v2) {
      throw new UruncError(
        `linux.resources.unified.${key} cannot be applied: the host uses cgroup v1`,
      );
    }
    if (!/^[a-z_]+\.[a-z0-9_.]+$/.test(key) || key.startsWith("cgroup.")) {
      throw new UruncError(
        `invalid linux.resources.unified key ${
          JSON.stringify(key)
        }: expected a controller file like "memory.high"`,
      );
    }
    w(key, value);
  }
  return { writes, deviceProgram: program, warnings };
}

/** cgroup v1 devices.allow/deny line: "c 1:3 rwm", "a *:* rwm". */
export function deviceLine(d: DeviceRule): string {
  const num = (n: number | null | undefined) => n === undefined || n === null || n < 0 ? "*" : n;
  return `${d.type ?? "a"} ${num(d.major)}:${num(d.minor)} ${d.access || "rwm"}`;
}

/** cpu.shares (2..262144) -> cpu.weight (1..10000), the kernel documentation's linear map. */
export function sharesToWeight(shares: number): number {
  const s = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v).every(isEmpty);
  return false;
}

function refuseUnsupported(r: LinuxResources): void {
  for (const k of ["blockIO", "network", "rdma"] as const) {
    if (!isEmpty(r[k])) {
      throw new UruncError(
        `linux.resources.${k} cannot be applied: urunc does not implement ${k} limits`,
      );
    }
  }
}
