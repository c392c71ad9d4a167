// A crash at any step (SIGKILL at a named fault point), then `delete --force`:
// no state, no process, no mount, no mount point in the rootfs, no tap or tc rule.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot } from "../helpers/subreaper.ts";
import { createAt, lastLogError, sh, testGlobals, urunc } from "../helpers/urunc.ts";
import { cgroupDirsAt, removeCgroupTree } from "../helpers/cgroups.ts";

const ready = isRoot();

/** A pod netns whose eth0 (veth) has an address and a default route, so setup creates tap + tc. */
function podNetns(name: string): () => void {
  const peer = `${name}-peer`;
  for (const ns of [name, peer]) sh(["ip", "netns", "add", ns]);
  sh([
    "ip",
    "link",
    "add",
    "eth0",
    "netns",
    name,
    "type",
    "veth",
    "peer",
    "name",
    "gw0",
    "netns",
    peer,
  ]);
  sh(["ip", "-n", name, "addr", "add", "10.9.0.2/24", "dev", "eth0"]);
  sh(["ip", "-n", name, "link", "set", "eth0", "up"]);
  sh(["ip", "-n", name, "route", "add", "default", "via", "10.9.0.1"]);
  sh(["ip", "-n", peer, "link", "set", "gw0", "up"]);
  return () => {
    for (const ns of [name, peer]) sh(["ip", "netns", "del", ns]);
  };
}

const POINTS: { point: string; start: boolean }[] = [
  { point: "create:after-dir", start: false },
  { point: "create:after-state", start: false },
  { point: "create:after-spawn", start: false },
  { point: "cgroup:after-mkdir", start: false },
  { point: "cgroup:after-limits", start: false },
  { point: "create:after-cgroup", start: false },
  { point: "create:after-pidfile", start: false },
  { point: "init:after-network", start: true },
  { point: "init:after-jail", start: true },
];

for (const { point, start } of POINTS) {
  Deno.test({
    name: `crash at ${point}, then delete --force leaves nothing behind`,
    ignore: !ready,
    async fn() {
      becomeSubreaper();
      const dir = Deno.makeTempDirSync({ prefix: "urunc-crash-" });
      const netns = `urunc-crash-${Deno.pid}-${point.replace(/[^a-z]/g, "")}`.slice(0, 40);
      const dropNetns = podNetns(netns);
      const cgroupTop = `urunc-crash-${crypto.randomUUID().slice(0, 8)}`;
      try {
        const g = testGlobals(dir, writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR));
        const bundle = makeBundle(join(dir, "b"), {
          annotations: LINUX_QEMU,
          args: ["/init", "fake:sleep"],
          namespaces: [{ type: "pid" }, { type: "mount" }, {
            type: "network",
            path: `/var/run/netns/${netns}`,
          }],
        });
        withCgroup(bundle, `/${cgroupTop}/x1`);
        const env = { URUNC_FAULT: point };
        const c = await createAt(g, { bundle, pidFile: join(dir, "pid"), id: "x1", fault: point });
        if (start) {
          assert.equal(c, 0, lastLogError(join(dir, "log.json")) ?? "");
          const s = await urunc([...g, "start", "x1"], { env });
          assert.notEqual(s.code, 0, "start reports that the init died");
          if (point === "init:after-network") {
            assert.equal(
              sh(["ip", "-n", netns, "link", "show", "tap0_urunc"]).code,
              0,
              "the tap existed",
            );
          }
        } else {
          assert.equal(c, 137, "create was killed at the fault point");
          // Before a pid is recorded kill must fail, never signal pid 0 (our own process
          // group: USR1 would end this test). The init started early (lib/runtime/early_init.ts)
          // is recorded from the first state write on; kill reaches it then.
          const k = await urunc([...g, "kill", "x1", "USR1"]);
          if (k.code !== 0) {
            // the shim maps both texts to "not found"
            assert.match(k.stderr, /container not running|container x1 does not exist/);
          } else assert.notEqual(point, "create:after-dir", "no state was written yet");
        }

        const d = await urunc([...g, "delete", "--force", "x1"]);
        assert.equal(d.code, 0, lastLogError(join(dir, "log.json")) ?? d.stderr);
        // The child notices a deleted state within its watchdog period.
        await new Promise((r) => setTimeout(r, 1200));

        let left: string[] = [];
        try {
          left = [...Deno.readDirSync(join(dir, "state"))].map((e) => e.name);
        } catch { /* never created */ }
        assert.deepEqual(left, [], "no state dir");
        const procs = sh(["ps", "-eo", "stat=,args="]).out.split("\n")
          .filter((l) => l.includes(dir) && !l.startsWith("Z"));
        assert.deepEqual(procs, [], "no process of the container");
        const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter((l) =>
          l.includes(dir)
        );
        assert.deepEqual(mounts, [], "no mount");
        assert.deepEqual([...Deno.readDirSync(join(bundle, "rootfs"))].map((e) => e.name).sort(), [
          "initrd",
          "kernel",
        ]);
        assert.notEqual(sh(["ip", "-n", netns, "link", "show", "tap0_urunc"]).code, 0, "no tap");
        assert.deepEqual(cgroupDirsAt(`/${cgroupTop}`), [], "no cgroup directory");
        assert.doesNotMatch(
          sh(["tc", "-n", netns, "qdisc", "show", "dev", "eth0"]).out,
          /ingress/,
          "no ingress qdisc",
        );
      } finally {
        await urunc(["--root", join(dir, "state"), "delete", "--force", "x1"]);
        dropNetns();
        await removeCgroupTree(`/${cgroupTop}`);
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}

/** Give the bundle a cgroupsPath and limits, so every crash point also has cgroups to undo. */
function withCgroup(bundle: string, path: string): void {
  const file = join(bundle, "config.json");
  const spec = JSON.parse(Deno.readTextFileSync(file));
  spec.linux.cgroupsPath = path;
  spec.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 32 } };
  Deno.writeTextFileSync(file, JSON.stringify(spec));
}
