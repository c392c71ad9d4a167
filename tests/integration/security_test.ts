// The monitor's jail as a security boundary, for real as root with the fake
// monitor: its capability sets are the spec's, a hostile monitor's probes
// (remount a read-only bind, open_by_handle_at, mknod + open a host disk, a
// setuid binary from the image) all fail, and the spec's masking, rlimits and
// oom_score_adj apply.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CAPS, FAKE_MONITOR, seccompFixture } from "../helpers/bundle.ts";
import {
  create,
  type Env,
  globals,
  type MonitorReport,
  parseReport,
  readAll,
  ready,
  setup,
} from "../helpers/lifecycle.ts";
import { becomeSubreaper, reap } from "../helpers/subreaper.ts";
import { lastLogError, urunc } from "../helpers/urunc.ts";
import { CAPABILITIES } from "../../lib/plan/privileges.ts";

const EPERM = 1, EACCES = 13;

function mask(names: readonly string[]): string {
  let m = 0n;
  for (const n of names) m |= 1n << BigInt((CAPABILITIES as readonly string[]).indexOf(n));
  return `0x${m.toString(16)}`;
}
const DEFAULT_MASK = mask(DEFAULT_CAPS);

/** A setuid-root copy of the fake monitor in the image, for the probe to exec. */
function plantSuidProbe(e: Env): void {
  const target = join(e.bundle, "rootfs", "suid-probe");
  Deno.copyFileSync(FAKE_MONITOR, target);
  Deno.chownSync(target, 0, 0);
  Deno.chmodSync(target, 0o4755);
}

/** create + start; returns the report and the monitor's exit status. */
async function runMonitor(e: Env, id: string): Promise<{ report: MonitorReport; status: number }> {
  const c = await create(e, id);
  assert.equal(c.code, 0, `create failed: ${lastLogError(e.log)}`);
  const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
  const s = await urunc(globals(e, ["start", id]));
  assert.equal(s.code, 0, `start failed: ${lastLogError(e.log)}`);
  const out = await readAll(c.stdout);
  const status = await reap(pid);
  assert.equal((await urunc(globals(e, ["delete", id]))).code, 0, lastLogError(e.log) ?? "");
  return { report: parseReport(out), status };
}

for (const seccomp of [true, false]) {
  Deno.test({
    name: `security: a root monitor with containerd's default caps${
      seccomp ? " and profile" : ", no seccomp"
    }: sets are the spec's, every probe fails`,
    ignore: !ready,
    async fn() {
      becomeSubreaper();
      const e = setup("sec-root", { args: ["/init", "fake:probe"], seccomp });
      try {
        plantSuidProbe(e);
        const { report, status } = await runMonitor(e, "s1");
        assert.equal(status, 0);
        assert.deepEqual(report.caps, {
          eff: DEFAULT_MASK,
          prm: DEFAULT_MASK,
          inh: "0x0",
          bnd: DEFAULT_MASK,
          amb: "0x0",
        });
        assert.equal(report.nnp, 0, "noNewPrivileges is not set");
        assert.equal(report.seccompMode, seccomp ? 2 : 0);
        const p = report.probes!;
        // No CAP_SYS_ADMIN (and, with the profile, no mount syscall): the ro bind stays ro.
        assert.equal(p.remount, EPERM);
        assert.equal(p.selfReadOnly, true);
        // No CAP_DAC_READ_SEARCH: no way to the host's root by file handle.
        assert.equal(p.openByHandle, EPERM);
        // CAP_MKNOD is in the default set, so the node can be made, but nodev makes it useless.
        assert.deepEqual([p.tmpMknod, p.tmpOpen], [0, EACCES]);
        assert.deepEqual([p.rootMknod, p.rootOpen], [0, EACCES]);
        assert.equal(p.suidExit, 100, "root stays root, nothing more");
      } finally {
        await e.cleanup();
      }
    },
  });
}

Deno.test({
  name:
    "security: a non-root monitor gains nothing: no capabilities after exec, a setuid-root binary runs without euid 0",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("sec-user", {
      args: ["/init", "fake:probe"],
      user: { uid: 1000, gid: 1000 },
    });
    try {
      plantSuidProbe(e);
      const { report, status } = await runMonitor(e, "s2");
      assert.equal(status, 0);
      assert.equal(report.uid, 1000);
      // As with runc: without ambient capabilities a non-root process keeps none across execve.
      assert.deepEqual(report.caps, {
        eff: "0x0",
        prm: "0x0",
        inh: "0x0",
        bnd: DEFAULT_MASK,
        amb: "0x0",
      });
      const p = report.probes!;
      assert.equal(p.remount, EPERM);
      assert.equal(p.openByHandle, EPERM);
      assert.equal(p.tmpMknod, EPERM);
      assert.equal(p.suidExit, 101, "nosuid: the setuid bit of an image binary is ignored");
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name:
    "security: ambient capabilities, no_new_privs and rlimits reach a non-root monitor as the spec says",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const bind = ["CAP_NET_BIND_SERVICE"];
    const e = setup("sec-ambient", {
      args: ["/init", "fake:exit=0"],
      user: { uid: 1000, gid: 1000 },
      capabilities: {
        bounding: DEFAULT_CAPS,
        effective: bind,
        permitted: bind,
        inheritable: bind,
        ambient: bind,
      },
      noNewPrivileges: true,
      seccomp: seccompFixture("docker"),
      extra: {},
    });
    try {
      const spec = JSON.parse(Deno.readTextFileSync(join(e.bundle, "config.json")));
      spec.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 512, hard: 1024 }];
      Deno.writeTextFileSync(join(e.bundle, "config.json"), JSON.stringify(spec));
      const { report, status } = await runMonitor(e, "s3");
      assert.equal(status, 0);
      const m = mask(bind);
      assert.deepEqual(report.caps, { eff: m, prm: m, inh: m, bnd: DEFAULT_MASK, amb: m });
      assert.equal(report.nnp, 1);
      assert.equal(report.seccompMode, 2, "Docker's profile, installed right before execve");
      assert.deepEqual(report.nofile, [512, 1024]);
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name:
    "security: the jail's / is nosuid,nodev, maskedPaths and readonlyPaths apply, oom_score_adj is set",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("sec-mask", {
      args: ["/init", "fake:sleep"],
      files: { "/kernel": "k\n", "/initrd": "i\n", "/secret": "host secret\n", "/ro/f": "x\n" },
      extra: {},
    });
    try {
      const spec = JSON.parse(Deno.readTextFileSync(join(e.bundle, "config.json")));
      spec.process.oomScoreAdj = 345;
      spec.linux.maskedPaths = ["/secret", "/proc/kcore", "/ro/missing"];
      spec.linux.readonlyPaths = ["/ro", "/proc/sys"];
      Deno.writeTextFileSync(join(e.bundle, "config.json"), JSON.stringify(spec));
      const c = await create(e, "s4");
      assert.equal(c.code, 0, lastLogError(e.log) ?? "");
      const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
      assert.equal((await urunc(globals(e, ["start", "s4"]))).code, 0, lastLogError(e.log) ?? "");
      const reader = c.stdout.getReader();
      await reader.read(); // the report: the monitor runs
      reader.releaseLock();
      assert.equal(Deno.readTextFileSync(`/proc/${pid}/oom_score_adj`).trim(), "345");
      assert.equal(Deno.readTextFileSync(`/proc/${pid}/root/secret`), "", "masked by /dev/null");
      const mounts = Deno.readTextFileSync(`/proc/${pid}/mountinfo`).split("\n")
        .map((l) => l.split(" ")).filter((f) => f.length > 5)
        .map((f) => ({ point: f[4], opts: f[5].split(",") }));
      const at = (p: string) => mounts.filter((m) => m.point === p).at(-1);
      for (const flag of ["nosuid", "nodev"]) assert.ok(at("/")!.opts.includes(flag), flag);
      assert.ok(at("/ro")!.opts.includes("ro"), "readonlyPaths: /ro is read-only");
      assert.ok(at("/secret"), "masked");
      assert.equal(at("/proc/kcore"), undefined, "no /proc in the jail: nothing to mask");
      assert.ok(!at("/dev")!.opts.includes("nodev"), "urunc's own /dev keeps its nodes");
      assert.equal((await urunc(globals(e, ["delete", "--force", "s4"]))).code, 0);
      await reap(pid);
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name:
    "security: the probes are real (a fully privileged spec can remount and open by handle), yet nodev still holds",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    // Every capability urunc itself holds (a container host may lack some).
    const own = BigInt(
      "0x" + Deno.readTextFileSync("/proc/self/status").match(/^CapBnd:\s*(\w+)$/m)![1],
    );
    const all = CAPABILITIES.filter((_, bit) => (own >> BigInt(bit)) & 1n);
    const e = setup("sec-priv", {
      args: ["/init", "fake:probe"],
      seccomp: false,
      capabilities: { bounding: all, effective: all, permitted: all },
    });
    try {
      const { report } = await runMonitor(e, "s5");
      const p = report.probes!;
      assert.equal(p.remount, 0, "CAP_SYS_ADMIN can remount: the probe works");
      assert.equal(p.selfReadOnly, false);
      assert.equal(p.openByHandle, 0, "CAP_DAC_READ_SEARCH opens by handle: the probe works");
      assert.deepEqual([p.rootMknod, p.rootOpen], [0, EACCES], "an image device node stays dead");
      assert.deepEqual([p.tmpMknod, p.tmpOpen], [0, EACCES]);
    } finally {
      await e.cleanup();
    }
  },
});
