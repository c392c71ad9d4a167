import assert from "node:assert/strict";
import type { LinuxResources } from "../../../lib/oci/resources.ts";
import { parseResources } from "../../../lib/oci/resources.ts";
import {
  deviceLine,
  planLimits,
  planUpdate,
  sharesToWeight,
} from "../../../lib/plan/cgroups/limits.ts";
import { errorOf } from "../plan/helpers.ts";

const MIB = 1024 * 1024;

const FULL: LinuxResources = {
  memory: { limit: 256 * MIB, reservation: 128 * MIB, swap: 512 * MIB, swappiness: 10 },
  cpu: { shares: 1024, quota: 150000, period: 100000, cpus: "0-1", mems: "0" },
  pids: { limit: 100 },
  hugepageLimits: [{ pageSize: "2MB", limit: 4 * MIB }],
  devices: [
    { allow: false, access: "rwm" },
    { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
    { allow: true, type: "c", major: 136, access: "rw" },
  ],
};

const KVM = { allow: true, type: "c" as const, major: 10, minor: 232, access: "rwm" };

function writes(resources: LinuxResources, version: 1 | 2) {
  const plan = planLimits({
    resources,
    version,
    guestMemoryMiB: 256,
    memoryOverheadMiB: 64,
    monitorDevices: [KVM],
  });
  return { lines: plan.writes.map((w) => `${w.file}=${w.value}`), plan };
}

Deno.test("v1: every file, in order; memory = guest RAM + monitor overhead", () => {
  const { lines, plan } = writes(FULL, 1);
  assert.deepEqual(lines, [
    `memory.limit_in_bytes=${320 * MIB}`,
    `memory.memsw.limit_in_bytes=${576 * MIB}`,
    `memory.soft_limit_in_bytes=${128 * MIB}`,
    "memory.swappiness=10",
    "cpu.shares=1024",
    "cpu.cfs_period_us=100000",
    "cpu.cfs_quota_us=150000",
    "cpuset.cpus=0-1",
    "cpuset.mems=0",
    "pids.max=100",
    `hugetlb.2MB.limit_in_bytes=${4 * MIB}`,
    "devices.deny=a *:* rwm",
    "devices.allow=c 1:3 rwm",
    "devices.allow=c 136:* rw",
    "devices.allow=c 10:232 rwm",
  ]);
  assert.equal(plan.deviceProgram, null);
});

Deno.test("v2: every file, in order; devices become an eBPF program", () => {
  const { lines, plan } = writes({ ...FULL, memory: { ...FULL.memory, swappiness: null } }, 2);
  assert.deepEqual(lines, [
    `memory.max=${320 * MIB}`,
    `memory.swap.max=${256 * MIB}`,
    `memory.low=${128 * MIB}`,
    "cpu.weight=39",
    "cpu.max=150000 100000",
    "cpuset.cpus=0-1",
    "cpuset.mems=0",
    "pids.max=100",
    `hugetlb.2MB.max=${4 * MIB}`,
  ]);
  assert.ok(plan.deviceProgram !== null && plan.deviceProgram.length % 8 === 0);
});

Deno.test("unlimited values and the unified map", () => {
  const r: LinuxResources = {
    memory: { limit: -1, swap: -1 },
    cpu: { quota: -1, period: 50000 },
    pids: { limit: -1 },
    unified: { "memory.high": "1G", "io.weight": "default 50" },
  };
  assert.deepEqual(writes({ ...r, unified: null }, 1).lines, [
    "memory.limit_in_bytes=-1",
    "memory.memsw.limit_in_bytes=-1",
    "cpu.cfs_period_us=50000",
    "cpu.cfs_quota_us=-1",
    "pids.max=max",
  ]);
  assert.deepEqual(writes(r, 2).lines, [
    "memory.max=max",
    "memory.swap.max=max",
    "cpu.max=max 50000",
    "pids.max=max",
    "io.weight=default 50",
    "memory.high=1G",
  ]);
});

Deno.test("nothing asked, nothing written; no device list leaves devices alone", () => {
  assert.deepEqual(writes({}, 1).lines, []);
  assert.deepEqual(writes({ memory: { limit: 0 }, cpu: { shares: 0 } }, 2).lines, []);
  assert.equal(writes({ devices: [] }, 2).plan.deviceProgram, null);
});

Deno.test("what a host cannot apply is an error naming the field", () => {
  const cases: [LinuxResources, 1 | 2, RegExp][] = [
    [{ unified: { "memory.high": "1G" } }, 1, /unified.memory.high cannot be applied: .*cgroup v1/],
    [{ unified: { "cgroup.procs": "1" } }, 2, /invalid linux.resources.unified key "cgroup.procs"/],
    [{ memory: { swappiness: 1 } }, 2, /memory.swappiness cannot be applied/],
    [{ memory: { disableOOMKiller: true } }, 2, /disableOOMKiller cannot be applied/],
    [{ cpu: { realtimeRuntime: 1000 } }, 2, /realtimeRuntime\/realtimePeriod cannot be applied/],
    [{ memory: { swap: 5 * MIB } }, 2, /memory.swap 5242880: on cgroup v2 it needs memory.limit/],
    [{ blockIO: { weight: 100 } }, 1, /linux.resources.blockIO cannot be applied/],
    [{ network: { classID: 7 } }, 2, /linux.resources.network cannot be applied/],
    [
      { pids: { limit: 8 } },
      1,
      /pids.limit 8 is too low for a VM container: .* at least 32 threads/,
    ],
  ];
  for (const [r, v, want] of cases) assert.match(errorOf(() => writes(r, v)), want);
  // empty sections (as some engines send them) are not requests
  assert.deepEqual(writes({ blockIO: { weight: 0 }, network: {} }, 1).lines, []);
});

Deno.test("deprecated kernel memory limits are a warning, as with runc", () => {
  const { lines, plan } = writes({ memory: { kernel: 1024 } }, 1);
  assert.deepEqual(lines, []);
  assert.match(plan.warnings[0], /memory.kernel is deprecated/);
});

Deno.test("update keeps the guest-size rule: the booted guest RAM is the floor", () => {
  const cg = { version: 1 as const, guestMemoryMiB: 256, memoryOverheadMiB: 64 };
  assert.deepEqual(
    planUpdate({ memory: { limit: 512 * MIB }, devices: [{ allow: false }] }, cg).writes,
    [{ file: "memory.limit_in_bytes", value: String(576 * MIB) }],
    "devices are fixed at create",
  );
  assert.match(
    errorOf(() => planUpdate({ memory: { limit: 200 * MIB } }, cg)),
    /its guest share of 200 MiB is below the 256 MiB of RAM the guest booted with/,
  );
  assert.deepEqual(planUpdate({ cpu: { quota: 20000 } }, cg).writes, [
    { file: "cpu.cfs_quota_us", value: "20000" },
  ]);
});

Deno.test("conversions: cpu.shares -> cpu.weight, device lines", () => {
  assert.deepEqual([2, 1024, 262144, 1].map(sharesToWeight), [1, 39, 10000, 1]);
  assert.equal(deviceLine({ allow: true }), "a *:* rwm");
  assert.equal(deviceLine({ allow: true, type: "b", major: 8, minor: -1, access: "r" }), "b 8:* r");
});

Deno.test("resources are validated with the field named", () => {
  assert.match(
    errorOf(() => parseResources({ memory: { limit: "1G" } }, "config.json", "linux.resources.")),
    /invalid config.json: field "linux.resources.memory.limit"/,
  );
  assert.match(
    errorOf(() => parseResources({ devices: [{ allow: true, access: "x" }] }, "stdin")),
    /invalid stdin: field "devices.0.access": expected letters of rwm/,
  );
});
