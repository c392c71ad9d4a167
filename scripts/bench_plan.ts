// Launch-plan building time per call, for `deno task bench`. It must stay far
// below process startup (~20 ms): the runtime builds one plan per container.
// Run alone: deno run -A scripts/bench_plan.ts

import { defaultHostConfig } from "../lib/config/host_config.ts";
import { buildPlan } from "../lib/plan/build.ts";
import { hvtSeccompProgram } from "../lib/plan/seccomp/hvt_policy.ts";
import type { PlanInput } from "../lib/plan/types.ts";

const NET = {
  ip: "10.4.0.2",
  mask: "255.255.255.0",
  gateway: "10.4.0.1",
  tap: "tap0_urunc",
  mac: "aa:bb:cc:dd:ee:01",
};

function input(
  type: PlanInput["config"]["unikernelType"],
  hypervisor: PlanInput["config"]["hypervisor"],
): PlanInput {
  return {
    containerId: "bench",
    spec: {
      args: ["/bin/app", "--flag", "two words"],
      env: ["PATH=/usr/bin:/bin", "FOO=bar"],
      memoryLimitBytes: 268435456,
      cpuQuota: null,
      cpuPeriod: null,
      seccomp: true,
      annotations: {},
    },
    config: {
      unikernelType: type,
      hypervisor,
      binary: "/.boot/kernel",
      cmdline: "",
      unikernelVersion: "",
      initrd: type === "unikraft" || type === "linux" ? "/.boot/rootfs" : "",
      block: "",
      blkMntPoint: "",
      useDMBlock: false,
      source: "annotations",
    },
    host: defaultHostConfig(),
    facts: {
      arch: "amd64",
      kvm: true,
      monitorPaths: {
        qemu: "/usr/bin/qemu-system-x86_64",
        firecracker: "/usr/local/bin/firecracker",
        hvt: "/usr/local/bin/solo5-hvt",
        spt: "/usr/local/bin/solo5-spt",
      },
      network: NET,
      rootfsMount: null,
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms per call over `rounds` rounds of `batch` calls (timer resolution is coarse). */
function measure(fn: () => unknown, rounds = 31, batch = 200): number {
  for (let i = 0; i < batch; i++) fn(); // warm up the JIT
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - t0) / batch);
  }
  return median(samples);
}

export async function benchPlan(): Promise<{ name: string; medianMs: number }[]> {
  const cases: [string, PlanInput][] = [
    ["plan unikraft/qemu", input("unikraft", "qemu")],
    ["plan linux/firecracker", input("linux", "firecracker")],
    ["plan rumprun/hvt (+seccomp BPF)", input("rumprun", "hvt")],
    ["plan mirage/spt", input("mirage", "spt")],
  ];
  const out = cases.map(([name, i]) => ({ name, medianMs: measure(() => buildPlan(i)) }));
  out.push({
    name: "hvt seccomp program alone",
    medianMs: measure(() => hvtSeccompProgram("amd64")),
  });
  return await Promise.resolve(out);
}

if (import.meta.main) {
  for (const r of await benchPlan()) {
    console.log(`${r.name.padEnd(36)} ${(r.medianMs * 1000).toFixed(1)} µs`);
  }
}
