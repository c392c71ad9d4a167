// cgroups for real on this machine's hierarchy (v1 + an empty unified one here):
// placement before create returns, the limits in the files, pause/resume freezing
// a ticking fake monitor, update, stats, OOM, and delete removing every directory.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot } from "../helpers/subreaper.ts";
import { lastLogError, testGlobals, urunc, uruncCreate } from "../helpers/urunc.ts";
import { cgroupDirsAt, removeCgroupTree, v1CgroupFile } from "../helpers/cgroups.ts";

const ready = isRoot();
const MIB = 1024 * 1024;
const OVERHEAD_MIB = 24;

function dirsNamed(top: string): string[] {
  return cgroupDirsAt(`/${top}`);
}

const v1File = v1CgroupFile;

interface Env {
  dir: string;
  g: string[];
  bundle: string;
  top: string;
  path: string;
}

function setup(name: string, args: string[], linux: Record<string, unknown>): Env {
  const dir = Deno.makeTempDirSync({ prefix: `urunc-cg-${name}-` });
  const top = `urunc-test-${name}-${crypto.randomUUID().slice(0, 8)}`;
  const path = `/${top}/c1`;
  const config = writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR);
  Deno.writeTextFileSync(
    config,
    Deno.readTextFileSync(config).replace(
      "[monitors.qemu]\n",
      `[monitors.qemu]\nmemory_overhead_mib = ${OVERHEAD_MIB}\n`,
    ),
  );
  const bundle = makeBundle(join(dir, "b"), { annotations: LINUX_QEMU, args });
  const spec = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
  spec.linux = { ...spec.linux, cgroupsPath: path, ...linux };
  Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec));
  return { dir, g: testGlobals(dir, config), bundle, top, path };
}

async function teardown(e: Env) {
  await urunc([...e.g, "delete", "--force", "c1"]);
  await removeCgroupTree(`/${e.top}`);
  Deno.removeSync(e.dir, { recursive: true });
}

async function create(e: Env) {
  const c = await uruncCreate([...e.g, "create", "--bundle", e.bundle, "c1"]);
  assert.equal(c.code, 0, lastLogError(join(e.dir, "log.json")) ?? "");
  return c;
}

function pidOf(e: Env): number {
  return JSON.parse(Deno.readTextFileSync(join(e.dir, "state", "c1", "state.json"))).pid;
}

const RESOURCES = {
  resources: {
    memory: { limit: 64 * MIB },
    cpu: { shares: 512, quota: 50000, period: 100000 },
    pids: { limit: 32 },
    devices: [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
    ],
  },
};

Deno.test({
  name: "create places the init child in its cgroup with the limits; delete removes every dir",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("place", ["/init", "fake:sleep"], RESOURCES);
    try {
      const c = await create(e);
      await c.stdout.cancel();
      await c.stderr.cancel();
      const pid = pidOf(e);
      const procCgroup = Deno.readTextFileSync(`/proc/${pid}/cgroup`);
      for (const c of ["memory", "cpu", "cpuacct", "pids", "devices", "freezer", "cpuset"]) {
        assert.match(procCgroup, new RegExp(`:${c}:${e.path}$`, "m"), `in ${c}: ${procCgroup}`);
      }
      assert.match(procCgroup, new RegExp(`^0::${e.path}$`, "m"), "in the unified hierarchy");
      assert.equal(
        v1File("memory", e.path, "memory.limit_in_bytes"),
        String((64 + OVERHEAD_MIB) * MIB),
      );
      assert.equal(v1File("cpu", e.path, "cpu.shares"), "512");
      assert.equal(v1File("cpu", e.path, "cpu.cfs_quota_us"), "50000");
      assert.equal(v1File("cpu", e.path, "cpu.cfs_period_us"), "100000");
      assert.equal(v1File("pids", e.path, "pids.max"), "32");
      const devices = v1File("devices", e.path, "devices.list").split("\n");
      assert.ok(devices.includes("c 1:3 rwm") && devices.includes("c 1:9 rwm"), devices.join());
      assert.ok(!devices.includes("a *:* rwm"), "deny-all took effect");

      const ps = await urunc([...e.g, "ps", "--format", "json", "c1"]);
      assert.deepEqual(JSON.parse(ps.stdout), [pid]);
      assert.equal((await urunc([...e.g, "start", "c1"])).code, 0);

      const d = await urunc([...e.g, "delete", "--force", "c1"]);
      assert.equal(d.code, 0, d.stderr);
      assert.deepEqual(dirsNamed(e.top), [], "no cgroup directory left");
    } finally {
      await teardown(e);
    }
  },
});

Deno.test({
  name: "pause freezes the monitor, resume thaws it; status says paused",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("freeze", ["/init", "fake:tick"], RESOURCES);
    try {
      const c = await create(e);
      await c.stderr.cancel();
      assert.equal((await urunc([...e.g, "start", "c1"])).code, 0);
      const reader = c.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      const ticks = () => [...seen.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
      const readUntil = async (pred: () => boolean) => {
        while (!pred()) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`monitor output ended: ${seen}`);
          seen += value;
        }
      };
      await readUntil(() => ticks().length >= 2);

      assert.equal((await urunc([...e.g, "pause", "c1"])).code, 0);
      const state = JSON.parse((await urunc([...e.g, "state", "c1"])).stdout);
      assert.equal(state.status, "paused");
      assert.equal(v1File("freezer", e.path, "freezer.state"), "FROZEN");
      // Frozen tasks use no CPU at all: the cgroup's CPU time stands still.
      const cpu = () => v1File("cpuacct", e.path, "cpuacct.usage");
      const frozenCpu = cpu();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(cpu(), frozenCpu, "a frozen monitor makes no progress");

      assert.equal((await urunc([...e.g, "resume", "c1"])).code, 0);
      assert.equal(JSON.parse((await urunc([...e.g, "state", "c1"])).stdout).status, "running");
      // Ticks printed before the freeze may still sit in the pipe: wait for ones past them.
      const before = Math.max(...ticks());
      while (cpu() === frozenCpu) await new Promise((r) => setTimeout(r, 20));
      await readUntil(() => Math.max(...ticks()) > before + 5);
      await reader.cancel();

      // delete of a paused container thaws it first (a frozen v1 task ignores SIGKILL)
      assert.equal((await urunc([...e.g, "pause", "c1"])).code, 0);
      const d = await urunc([...e.g, "delete", "--force", "c1"]);
      assert.equal(d.code, 0, d.stderr);
      assert.deepEqual(dirsNamed(e.top), []);
    } finally {
      await teardown(e);
    }
  },
});

Deno.test({
  name: "update changes the files; a guest share below the booted RAM is refused; events --stats",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("update", ["/init", "fake:sleep"], RESOURCES);
    try {
      const c = await create(e);
      await c.stdout.cancel();
      await c.stderr.cancel();
      assert.equal((await urunc([...e.g, "start", "c1"])).code, 0);
      const body = JSON.stringify({
        memory: { limit: 128 * MIB },
        cpu: { quota: 200000, period: 100000 },
        pids: { limit: 64 },
      });
      const [cmd, ...args] = (await import("../helpers/urunc.ts")).uruncCommand([
        ...e.g,
        "update",
        "--resources",
        "-",
        "c1",
      ]);
      const p = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" })
        .spawn();
      const w = p.stdin.getWriter();
      await w.write(new TextEncoder().encode(body));
      await w.close();
      const out = await p.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(
        v1File("memory", e.path, "memory.limit_in_bytes"),
        String((128 + OVERHEAD_MIB) * MIB),
      );
      assert.equal(v1File("cpu", e.path, "cpu.cfs_quota_us"), "200000");
      assert.equal(v1File("pids", e.path, "pids.max"), "64");

      const low = await urunc([...e.g, "update", "--memory", "32m", "c1"]);
      assert.equal(low.code, 1);
      assert.match(low.stderr, /below the 64 MiB of RAM the guest booted with/);
      assert.equal(
        v1File("memory", e.path, "memory.limit_in_bytes"),
        String((128 + OVERHEAD_MIB) * MIB),
      );

      const ev = await urunc([...e.g, "events", "--stats", "c1"]);
      assert.equal(ev.code, 0, ev.stderr);
      const doc = JSON.parse(ev.stdout);
      assert.equal(doc.type, "stats");
      assert.equal(doc.id, "c1");
      assert.equal(doc.data.memory.usage.limit, (128 + OVERHEAD_MIB) * MIB);
      assert.ok(doc.data.memory.usage.usage > 0, "memory in use");
      assert.equal(doc.data.pids.current, 1);
      assert.equal(doc.data.pids.limit, 64);
    } finally {
      await teardown(e);
    }
  },
});

Deno.test({
  name: "a monitor killed by the memory limit: stopped, and delete logs the OOM kill",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("oom", ["/init", "fake:alloc=200"], {
      resources: { memory: { limit: 16 * MIB, swap: 16 * MIB } },
    });
    try {
      const c = await create(e);
      await c.stdout.cancel();
      await c.stderr.cancel();
      await urunc([...e.g, "start", "c1"]);
      for (;;) {
        const s = JSON.parse((await urunc([...e.g, "state", "c1"])).stdout);
        if (s.status === "stopped") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // `events` reports the kill, then ends with the container
      const ev = await urunc([...e.g, "events", "--interval", "50ms", "c1"]);
      assert.equal(ev.code, 0, ev.stderr);
      assert.deepEqual(JSON.parse(ev.stdout.trim().split("\n")[0]), { type: "oom", id: "c1" });
      const d = await urunc([...e.g, "delete", "c1"]);
      assert.equal(d.code, 0, d.stderr);
      const log = Deno.readTextFileSync(join(e.dir, "log.json"));
      assert.match(log, /the OOM killer killed 1 process\(es\) in its cgroup/);
      assert.deepEqual(dirsNamed(e.top), []);
    } finally {
      await teardown(e);
    }
  },
});

Deno.test({
  name: "a limit the host cannot apply is an error naming the file and value; nothing is left",
  ignore: !ready,
  async fn() {
    const e = setup("bad", ["/init", "fake:sleep"], {
      resources: { cpu: { quota: 500, period: 100 } },
    });
    try {
      const c = await uruncCreate([...e.g, "create", "--bundle", e.bundle, "c1"]);
      await c.stdout.cancel();
      await c.stderr.cancel();
      assert.equal(c.code, 1);
      assert.match(
        lastLogError(join(e.dir, "log.json")) ?? "",
        /cannot write "100" to \/sys\/fs\/cgroup\/cpu\/.*\/cpu\.cfs_period_us: /,
      );
      assert.deepEqual(dirsNamed(e.top), [], "no cgroup directory left");
      assert.deepEqual([...Deno.readDirSync(join(e.dir, "state"))], []);
    } finally {
      await teardown(e);
    }
  },
});

Deno.test({
  name: "--systemd-cgroup: slice:prefix:name becomes the unit path, created and removed by urunc",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const slice = `urunct${crypto.randomUUID().slice(0, 8)}`;
    const e = setup("systemd", ["/init", "fake:sleep"], RESOURCES);
    const file = join(e.bundle, "config.json");
    const spec = JSON.parse(Deno.readTextFileSync(file));
    spec.linux.cgroupsPath = `${slice}-pod1.slice:urunc:c1`;
    Deno.writeTextFileSync(file, JSON.stringify(spec));
    try {
      const c = await uruncCreate([
        "--systemd-cgroup",
        ...e.g,
        "create",
        "--bundle",
        e.bundle,
        "c1",
      ]);
      await c.stdout.cancel();
      await c.stderr.cancel();
      assert.equal(c.code, 0, lastLogError(join(e.dir, "log.json")) ?? "");
      const unit = `/${slice}.slice/${slice}-pod1.slice/urunc-c1.scope`;
      assert.match(
        Deno.readTextFileSync(`/proc/${pidOf(e)}/cgroup`),
        new RegExp(`:memory:${unit}$`, "m"),
      );
      assert.equal(v1File("pids", unit, "pids.max"), "32");
      const d = await urunc([...e.g, "delete", "--force", "c1"]);
      assert.equal(d.code, 0, d.stderr);
      assert.deepEqual(dirsNamed(`${slice}.slice`), []);
    } finally {
      await teardown(e);
      await removeCgroupTree(`/${slice}.slice`);
    }
  },
});

Deno.test({
  name: "pause/update/events on a container without a cgroup, and bad update input, say why",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("nocg", ["/init", "fake:sleep"], {});
    const file = join(e.bundle, "config.json");
    const spec = JSON.parse(Deno.readTextFileSync(file));
    delete spec.linux.cgroupsPath;
    Deno.writeTextFileSync(file, JSON.stringify(spec));
    try {
      const c = await create(e);
      await c.stdout.cancel();
      await c.stderr.cancel();
      assert.equal((await urunc([...e.g, "start", "c1"])).code, 0);
      const p = await urunc([...e.g, "pause", "c1"]);
      assert.equal(p.code, 1);
      assert.match(
        p.stderr,
        /cannot pause container c1: it has no cgroup \(no linux.cgroupsPath\)/,
      );
      const r = await urunc([...e.g, "resume", "c1"]);
      assert.match(r.stderr, /container c1 is not paused \(it is running\)/);
      const ev = await urunc([...e.g, "events", "--stats", "c1"]);
      assert.match(ev.stderr, /container c1 has no cgroup/);
      const bad = await urunc([...e.g, "update", "--resources", join(e.dir, "nope.json"), "c1"]);
      assert.match(bad.stderr, /cannot read .*nope\.json/);
      Deno.writeTextFileSync(join(e.dir, "r.json"), '{"pids": {"limit": "many"}}');
      const field = await urunc([...e.g, "update", "--resources", join(e.dir, "r.json"), "c1"]);
      assert.match(field.stderr, /invalid .*r\.json: field "pids.limit"/);
      const usage = await urunc([...e.g, "update", "--memory", "lots", "c1"]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /invalid --memory "lots": expected bytes like 512m/);
      const features = JSON.parse((await urunc(["features"])).stdout);
      assert.deepEqual(features.linux.cgroup, {
        v1: true,
        v2: true,
        systemd: true,
        systemdUser: false,
        rdma: false,
      });
    } finally {
      await teardown(e);
    }
  },
});

Deno.test({
  name: "a cgroup namespace of its own is rooted at the container's cgroup, not at create's",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("ns", ["/init", "fake:sleep"], {
      namespaces: [{ type: "pid" }, { type: "mount" }, { type: "network" }, { type: "cgroup" }],
    });
    try {
      await create(e);
      const s = await urunc([...e.g, "start", "c1"]);
      assert.equal(s.code, 0, lastLogError(join(e.dir, "log.json")) ?? s.stderr);
      const pid = pidOf(e);
      // Seen from the host, the monitor is in the container's cgroup ...
      const hostView = Deno.readTextFileSync(`/proc/${pid}/cgroup`);
      assert.match(hostView, new RegExp(`:memory:.*/${e.top}/c1$`, "m"));
      // ... and from inside its own cgroup namespace, that cgroup is the root.
      const inside = new Deno.Command("nsenter", {
        args: ["-t", String(pid), "-C", "cat", `/proc/${pid}/cgroup`],
      }).outputSync();
      assert.ok(inside.success, new TextDecoder().decode(inside.stderr));
      const memory = new TextDecoder().decode(inside.stdout).split("\n")
        .find((l) => /^\d+:memory:/.test(l));
      assert.equal(memory?.replace(/^\d+:/, ""), "memory:/");
    } finally {
      await teardown(e);
    }
  },
});
