// The host side against a fake cgroupfs: every directory and file, in order,
// for a v1 (hybrid) host and a v2 host; pause/resume; delete's removal.
import assert from "node:assert/strict";
import { applyLimits, createCgroupDirs, joinCgroups } from "../../../lib/host/cgroups/manager.ts";
import { isFrozen, setFrozen } from "../../../lib/host/cgroups/freezer.ts";
import { removeContainerCgroups, thawForKill } from "../../../lib/host/cgroups/cleanup.ts";
import { parseLayout } from "../../../lib/plan/cgroups/hierarchy.ts";
import { planLimits } from "../../../lib/plan/cgroups/limits.ts";
import { FakeCgroupFs } from "../../fakes/fake_cgroupfs.ts";
import { RecordingSyscalls } from "../../fakes/recording_syscalls.ts";
import { HYBRID_MOUNTINFO, HYBRID_SELF } from "./hierarchy_test.ts";
import { silentLogger } from "../../../lib/log.ts";

const MIB = 1024 * 1024;
const RES = {
  memory: { limit: 64 * MIB },
  cpu: { quota: 50000, period: 100000, cpus: "1" },
  pids: { limit: 40 },
  devices: [{ allow: false }, { allow: true, type: "c" as const, major: 1, minor: 3 }],
};

/** The hybrid layout's mount points under /sys/fs/cgroup, in mountinfo order. */
const V1_HIERARCHIES = [
  "cpu",
  "cpuacct",
  "cpuset",
  "memory",
  "devices",
  "freezer",
  "pids",
  "systemd",
  "unified",
];

function v1Fake(): FakeCgroupFs {
  const mounts = V1_HIERARCHIES.map((m) => `/sys/fs/cgroup/${m}`);
  const fs = new FakeCgroupFs([
    ...mounts,
    "/sys/fs/cgroup/memory/process_api",
    "/sys/fs/cgroup/memory/process_api/abc",
  ]);
  fs.files.set("/sys/fs/cgroup/cpuset/cpuset.cpus", "0-1\n");
  fs.files.set("/sys/fs/cgroup/cpuset/cpuset.mems", "0\n");
  fs.templates.set("/sys/fs/cgroup/cpuset", { "cpuset.cpus": "\n", "cpuset.mems": "\n" });
  fs.templates.set("/sys/fs/cgroup/freezer", { "freezer.state": "THAWED\n" });
  return fs;
}

Deno.test("v1 host: ancestors then leaf in every hierarchy, each ledgered first; limits; join", () => {
  const fs = v1Fake();
  const layout = parseLayout(HYBRID_MOUNTINFO, HYBRID_SELF);
  const ledger: string[] = [];
  const dirs = createCgroupDirs(fs, layout, "/default/c1", {
    creating: (d) => ledger.push(`+${d}`),
    existed: (d) => ledger.push(`=${d}`),
  });
  const cg = { version: 1 as const, dirs };
  applyLimits(
    fs,
    cg,
    planLimits({
      resources: RES,
      version: 1,
      guestMemoryMiB: 64,
      memoryOverheadMiB: 16,
      monitorDevices: [],
    }),
  );
  joinCgroups(fs, cg, 4242);
  const H = V1_HIERARCHIES;
  assert.deepEqual(
    ledger,
    H.flatMap((h) => [`+/sys/fs/cgroup/${h}/default`, `+/sys/fs/cgroup/${h}/default/c1`]),
  );
  const C = "/sys/fs/cgroup";
  assert.deepEqual(fs.ops.map((o) => o.join(" ")), [
    `mkdir ${C}/cpu/default`,
    `mkdir ${C}/cpu/default/c1`,
    `mkdir ${C}/cpuacct/default`,
    `mkdir ${C}/cpuacct/default/c1`,
    `mkdir ${C}/cpuset/default`,
    `write ${C}/cpuset/default/cpuset.cpus 0-1`,
    `write ${C}/cpuset/default/cpuset.mems 0`,
    `mkdir ${C}/cpuset/default/c1`,
    `write ${C}/cpuset/default/c1/cpuset.cpus 0-1`,
    `write ${C}/cpuset/default/c1/cpuset.mems 0`,
    `mkdir ${C}/memory/default`,
    `mkdir ${C}/memory/default/c1`,
    `mkdir ${C}/devices/default`,
    `mkdir ${C}/devices/default/c1`,
    `mkdir ${C}/freezer/default`,
    `mkdir ${C}/freezer/default/c1`,
    `mkdir ${C}/pids/default`,
    `mkdir ${C}/pids/default/c1`,
    `mkdir ${C}/systemd/default`,
    `mkdir ${C}/systemd/default/c1`,
    `mkdir ${C}/unified/default`,
    `mkdir ${C}/unified/default/c1`,
    `write ${C}/memory/default/c1/memory.limit_in_bytes ${80 * MIB}`,
    `write ${C}/cpu/default/c1/cpu.cfs_period_us 100000`,
    `write ${C}/cpu/default/c1/cpu.cfs_quota_us 50000`,
    `write ${C}/cpuset/default/c1/cpuset.cpus 1`,
    `write ${C}/pids/default/c1/pids.max 40`,
    `write ${C}/devices/default/c1/devices.deny a *:* rwm`,
    `write ${C}/devices/default/c1/devices.allow c 1:3 rwm`,
    ...H.map((h) => `write ${C}/${h}/default/c1/cgroup.procs 4242`),
  ]);
});

Deno.test("a relative path hangs below urunc's own cgroup; an existing parent is not ours", () => {
  const fs = v1Fake();
  fs.dirs.add("/sys/fs/cgroup/pids/k8s");
  const layout = parseLayout(HYBRID_MOUNTINFO, HYBRID_SELF);
  const ledger: string[] = [];
  const dirs = createCgroupDirs(fs, layout, "k8s/c1", {
    creating: (d) => ledger.push(`+${d}`),
    existed: (d) => ledger.push(`=${d}`),
  });
  assert.equal(
    dirs.find((d) => d.controllers.includes("memory"))?.dir,
    "/sys/fs/cgroup/memory/process_api/abc/k8s/c1",
  );
  assert.ok(!ledger.includes("+/sys/fs/cgroup/pids/k8s"), "an existing parent is not created");
  assert.ok(ledger.includes("+/sys/fs/cgroup/pids/k8s/c1"));
});

Deno.test("v2 host: controllers enabled down the path, limits, device program, join", () => {
  const fs = new FakeCgroupFs(["/sys/fs/cgroup", "/sys/fs/cgroup/kubepods"]);
  fs.files.set("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
  fs.files.set("/sys/fs/cgroup/cgroup.subtree_control", "cpu memory\n");
  fs.files.set("/sys/fs/cgroup/kubepods/cgroup.controllers", "cpu memory pids\n");
  fs.files.set("/sys/fs/cgroup/kubepods/cgroup.subtree_control", "cpu memory pids\n");
  fs.templates.set("/sys/fs/cgroup", {
    "cgroup.controllers": "cpu memory pids\n",
    "cgroup.subtree_control": "\n",
  });
  const layout = parseLayout(
    "1 0 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw",
    "0::/init.scope\n",
  );
  const dirs = createCgroupDirs(fs, layout, "/kubepods/pod1/c1", { creating() {}, existed() {} });
  const cg = { version: 2 as const, dirs };
  applyLimits(
    fs,
    cg,
    planLimits({
      resources: RES,
      version: 2,
      guestMemoryMiB: 64,
      memoryOverheadMiB: 16,
      monitorDevices: [],
    }),
  );
  joinCgroups(fs, cg, 7);
  const C = "/sys/fs/cgroup";
  assert.deepEqual(fs.ops.map((o) => o.join(" ")), [
    `mkdir ${C}/kubepods/pod1`,
    `mkdir ${C}/kubepods/pod1/c1`,
    `write ${C}/cgroup.subtree_control +cpuset +io +pids`,
    `write ${C}/kubepods/pod1/cgroup.subtree_control +cpu +memory +pids`,
    `write ${C}/kubepods/pod1/c1/memory.max ${80 * MIB}`,
    `write ${C}/kubepods/pod1/c1/cpu.max 50000 100000`,
    `write ${C}/kubepods/pod1/c1/cpuset.cpus 1`,
    `write ${C}/kubepods/pod1/c1/pids.max 40`,
    `attach ${C}/kubepods/pod1/c1 ${
      (fs.ops.find((o) => o[0] === "attach") as [string, string, number])[2]
    }`,
    `write ${C}/kubepods/pod1/c1/cgroup.procs 7`,
  ]);
});

Deno.test("a write the host refuses names the file and value; a missing controller too", () => {
  const fs = v1Fake();
  const layout = parseLayout(HYBRID_MOUNTINFO, HYBRID_SELF);
  const dirs = createCgroupDirs(fs, layout, "/x", { creating() {}, existed() {} });
  assert.throws(
    () =>
      applyLimits(fs, { version: 1, dirs }, {
        writes: [{ file: "hugetlb.2MB.limit_in_bytes", value: "1" }],
        deviceProgram: null,
        warnings: [],
      }),
    /cannot write "1" to hugetlb.2MB.limit_in_bytes: the host has no hugetlb cgroup controller/,
  );
});

Deno.test("v1 memory and memsw: when raising both, the retry writes memsw first", () => {
  const fs = v1Fake();
  const layout = parseLayout(HYBRID_MOUNTINFO, HYBRID_SELF);
  const dirs = createCgroupDirs(fs, layout, "/x", { creating() {}, existed() {} });
  fs.ops.length = 0;
  let memsw = 100;
  fs.failWrite = (file, value) => {
    if (file.endsWith("memory.memsw.limit_in_bytes")) memsw = Number(value);
    return file.endsWith("memory.limit_in_bytes") && !file.includes("memsw") &&
        Number(value) > memsw
      ? "EINVAL"
      : null;
  };
  applyLimits(
    fs,
    { version: 1, dirs },
    planLimits({
      resources: { memory: { limit: 200 * MIB, swap: 300 * MIB } },
      version: 1,
      guestMemoryMiB: 200,
      memoryOverheadMiB: 0,
      monitorDevices: [],
    }),
  );
  assert.deepEqual(fs.writes(), [
    `/sys/fs/cgroup/memory/x/memory.limit_in_bytes=${200 * MIB}`,
    `/sys/fs/cgroup/memory/x/memory.memsw.limit_in_bytes=${300 * MIB}`,
    `/sys/fs/cgroup/memory/x/memory.limit_in_bytes=${200 * MIB}`,
  ]);
});

Deno.test("pause/resume write the freezer and wait for the kernel's word", async () => {
  const fs = v1Fake();
  const layout = parseLayout(HYBRID_MOUNTINFO, HYBRID_SELF);
  const cg = {
    version: 1 as const,
    dirs: createCgroupDirs(fs, layout, "/x", { creating() {}, existed() {} }),
  };
  const file = "/sys/fs/cgroup/freezer/x/freezer.state";
  fs.ops.length = 0;
  // the kernel needs a second write while a task is in uninterruptible sleep
  let writes = 0;
  fs.afterWrite = (f, v) => {
    if (f === file && v === "FROZEN") fs.files.set(file, ++writes < 2 ? "FREEZING\n" : "FROZEN\n");
  };
  await setFrozen(fs, cg, true);
  assert.ok(isFrozen(fs, cg));
  await setFrozen(fs, cg, false);
  assert.ok(!isFrozen(fs, cg));
  assert.deepEqual(fs.writes(), [`${file}=FROZEN`, `${file}=FROZEN`, `${file}=THAWED`]);

  const v2 = new FakeCgroupFs(["/sys/fs/cgroup", "/sys/fs/cgroup/x"]);
  v2.afterWrite = (f, v) => {
    if (f.endsWith("cgroup.freeze")) {
      v2.files.set("/sys/fs/cgroup/x/cgroup.events", `populated 1\nfrozen ${v}\n`);
    }
  };
  const cg2 = { version: 2 as const, dirs: [{ controllers: [], dir: "/sys/fs/cgroup/x" }] };
  await setFrozen(v2, cg2, true);
  assert.ok(isFrozen(v2, cg2));
  assert.deepEqual(v2.writes(), ["/sys/fs/cgroup/x/cgroup.freeze=1"]);
});

Deno.test("delete removes our directories newest first, keeps ones that existed and shared parents", async () => {
  const fs = new FakeCgroupFs([
    "/cg",
    "/cg/shared",
    "/cg/shared/other",
    "/cg/a",
    "/cg/a/c1",
    "/cg/pre",
  ]);
  fs.files.set("/cg/a/c1/cgroup.procs", "");
  const log = silentLogger;
  const problems = await removeContainerCgroups(new RecordingSyscalls(), fs, log, "c1", undefined, [
    { dir: "/cg/shared" },
    { dir: "/cg/a" },
    { dir: "/cg/a/c1" },
    { dir: "/cg/pre" },
    { dir: "/cg/pre", existed: true },
  ]);
  assert.deepEqual(problems, []);
  assert.deepEqual(fs.ops.map((o) => o.join(" ")), [
    "rmdir /cg/a/c1",
    "rmdir /cg/a",
    "rmdir /cg/shared",
  ]);
  assert.ok(fs.dirs.has("/cg/shared") && fs.dirs.has("/cg/pre") && !fs.dirs.has("/cg/a"));
});

Deno.test("delete kills what is left in the cgroup, then removes it", async () => {
  const fs = new FakeCgroupFs(["/cg", "/cg/c1"]);
  fs.files.set("/cg/c1/cgroup.procs", "77\n");
  const sys = new RecordingSyscalls({
    kill: (pid, sig) => {
      if (sig === 9) fs.files.set(`/cg/c1/cgroup.procs`, "");
      return pid === 77;
    },
  });
  assert.deepEqual(
    await removeContainerCgroups(sys, fs, silentLogger, "c1", undefined, [{ dir: "/cg/c1" }]),
    [],
  );
  assert.deepEqual(sys.calls.filter((c) => c.call === "pidfdSignal").map((c) => c.args), [[
    377,
    9,
  ]]);
  assert.ok(!fs.dirs.has("/cg/c1"));
});

Deno.test("delete without state thaws the freezer among the ledger's own dirs", async () => {
  const fs = new FakeCgroupFs([
    "/sys/fs/cgroup/freezer/p",
    "/sys/fs/cgroup/freezer/p/x",
    "/sys/fs/cgroup/memory/p/x",
    "/sys/fs/cgroup/unified/p/x",
  ]);
  fs.files.set("/sys/fs/cgroup/freezer/p/freezer.state", "THAWED\n");
  fs.files.set("/sys/fs/cgroup/freezer/p/x/freezer.state", "FROZEN\n");
  fs.files.set("/sys/fs/cgroup/unified/p/x/cgroup.freeze", "1\n");
  fs.ops.length = 0;
  await thawForKill(fs, undefined, [
    { dir: "/sys/fs/cgroup/freezer/p", existed: true }, // someone else's: untouched
    { dir: "/sys/fs/cgroup/freezer/p/x" },
    { dir: "/sys/fs/cgroup/memory/p/x" },
    { dir: "/sys/fs/cgroup/unified/p/x" },
  ]);
  assert.deepEqual(fs.writes(), [
    "/sys/fs/cgroup/freezer/p/x/freezer.state=THAWED",
    "/sys/fs/cgroup/unified/p/x/cgroup.freeze=0",
  ]);
});
