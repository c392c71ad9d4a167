// Guest RAM and vCPUs from the OCI resources. The OCI memory limit is in bytes;
// monitors take MiB (upstream divided by 10^6, which DESIGN §5 fixes).

import type { HostConfig, PlanSpec } from "./types.ts";

const MIB = 1024 * 1024;

export interface Resources {
  memoryMiB: number;
  vcpus: number;
  warnings: string[];
}

export function guestResources(spec: PlanSpec, host: HostConfig): Resources {
  const warnings: string[] = [];
  let memoryMiB = host.defaults.memoryMiB;
  const limit = spec.memoryLimitBytes;
  if (limit !== null && limit > 0) {
    const mib = Math.floor(limit / MIB);
    if (mib > 0) memoryMiB = mib;
    else {warnings.push(
        `memory limit of ${limit} bytes is below 1 MiB; the guest gets ${memoryMiB} MiB`,
      );}
  }
  let vcpus = host.defaults.vcpus;
  const { cpuQuota: quota, cpuPeriod: period } = spec;
  if (quota !== null && period !== null && quota > 0 && period > 0) {
    vcpus = Math.ceil(quota / period);
  }
  return { memoryMiB, vcpus, warnings };
}
