// Launch-plan building time per call, for `deno task bench`. It must stay far
// below process startup (~20 ms): the runtime builds one plan per container.
// Run alone: deno run -A scripts/bench_plan.ts

import { buildPlan } from "../lib/plan/build.ts";
import { hvtSeccompProgram } from "../lib/plan/seccomp/hvt_policy.ts";
import type { PlanInput } from "../lib/plan/types.ts";
import { input } from "../tests/unit/plan/helpers.ts";

/** The usual golden-case inputs (network, initrd where the type takes one), for one combination. */
function benchInput(
  type: PlanInput["config"]["unikernelType"],
  hypervisor: PlanInput["config"]["hypervisor"],
): PlanInput {
  const initrd = type === "unikraft" || type === "linux" ? "/.boot/rootfs" : "";
  return input({ config: { unikernelType: type, hypervisor, binary: "/.boot/kernel", initrd } });
}

export function median(xs: number[]): number {
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
    ["plan unikraft/qemu", benchInput("unikraft", "qemu")],
    ["plan linux/firecracker", benchInput("linux", "firecracker")],
    ["plan rumprun/hvt (+seccomp BPF)", benchInput("rumprun", "hvt")],
    ["plan mirage/spt", benchInput("mirage", "spt")],
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
