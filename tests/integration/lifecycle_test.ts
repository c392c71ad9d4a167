// The runtime for real, as root: create/start/state/kill/delete through the CLI
// with a fake monitor that reports what it was given (argv, env, fds, ids, root).
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_NAMESPACES, FAKE_MONITOR, LINUX_QEMU } from "../helpers/bundle.ts";
import {
  create,
  globals,
  type MonitorReport,
  mountsUnder,
  parseReport,
  readAll,
  ready,
  safeReadDir,
  setup,
} from "../helpers/lifecycle.ts";
import { becomeSubreaper, reap } from "../helpers/subreaper.ts";
import { lastLogError, urunc } from "../helpers/urunc.ts";

Deno.test({
  name: "lifecycle: create, start, the monitor gets exactly its plan, delete leaves nothing",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("basic", {
      args: ["/init", "fake:exit=0"],
    });
    try {
      const c = await create(e, "c1");
      assert.equal(c.code, 0, `create failed: ${lastLogError(e.log)}`);
      const pidText = Deno.readTextFileSync(join(e.dir, "init.pid"));
      assert.match(pidText, /^\d+$/, "pid file is a bare decimal");
      const pid = Number(pidText);
      const st = JSON.parse((await urunc(globals(e, ["state", "c1"]))).stdout);
      assert.equal(st.status, "created");
      assert.equal(st.pid, pid);
      assert.equal(st.id, "c1");

      const plan = JSON.parse(
        (await urunc(globals(e, ["plan", "--bundle", e.bundle, "--format", "json"]))).stdout,
      );
      const s = await urunc(globals(e, ["start", "c1"]));
      assert.equal(s.code, 0, `start failed: ${lastLogError(e.log)}`);
      const out = await readAll(c.stdout);
      const report = parseReport(out);
      assert.equal(await reap(pid), 0);

      assert.deepEqual(
        report.argv,
        plan.monitor.argv,
        "the monitor got the argv `urunc plan` prints",
      );
      assert.equal(report.argv[0], FAKE_MONITOR);
      assert.deepEqual(report.fds, [0, 1, 2], "only stdio reaches the monitor");
      assert.ok(
        !report.env.some((v) => /^(DENO|URUNC|_LIBCONTAINER|NOTIFY_SOCKET)/.test(v)),
        `env: ${report.env}`,
      );
      assert.deepEqual(report.env, plan.monitor.env);
      assert.equal(report.uid, 0);
      assert.deepEqual(report.groups, [], "supplementary groups are reset even for root");
      assert.equal(report.seccompMode, 2, "the spec's seccomp profile confines the monitor");
      const rootfs = Deno.statSync(join(e.bundle, "rootfs"));
      assert.equal(report.rootIno, rootfs.ino, "the monitor's / is the container rootfs");
      assert.equal(report.writable.errno, 30, "host library binds are read-only (EROFS)");

      const st2 = JSON.parse((await urunc(globals(e, ["state", "c1"]))).stdout);
      assert.equal(st2.status, "stopped");
      const k = await urunc(globals(e, ["kill", "c1", "KILL"]));
      assert.notEqual(k.code, 0);
      assert.match(k.stderr, /container not running/);
      const d = await urunc(globals(e, ["delete", "c1"]));
      assert.equal(d.code, 0, lastLogError(e.log) ?? "");
      assert.deepEqual(safeReadDir(e.root), []);
      assert.deepEqual(mountsUnder(e.dir), []);
      assert.deepEqual(
        safeReadDir(join(e.bundle, "rootfs")).sort(),
        ["initrd", "kernel"],
        "mount points urunc made are gone",
      );
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name:
    "lifecycle: kill TERM stops a running monitor; delete refuses a running one without --force",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("kill", { args: ["/init", "fake:sleep"] });
    try {
      const c = await create(e, "k1");
      assert.equal(c.code, 0, lastLogError(e.log) ?? "");
      const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
      assert.equal((await urunc(globals(e, ["start", "k1"]))).code, 0, lastLogError(e.log) ?? "");
      assert.equal(JSON.parse((await urunc(globals(e, ["state", "k1"]))).stdout).status, "running");
      assert.deepEqual(
        JSON.parse((await urunc(globals(e, ["ps", "--format", "json", "k1"]))).stdout),
        [pid],
      );
      const d = await urunc(globals(e, ["delete", "k1"]));
      assert.notEqual(d.code, 0);
      assert.match(lastLogError(e.log) ?? "", /cannot delete container k1: it is running/);
      assert.equal((await urunc(globals(e, ["kill", "k1", "15"]))).code, 0);
      assert.equal(await reap(pid), 0, "the monitor exits 0 on SIGTERM, like qemu");
      assert.equal((await urunc(globals(e, ["delete", "k1"]))).code, 0);
      await c.stdout.cancel();
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name: "lifecycle: delete --force kills a running monitor and a created (not started) container",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("force", { args: ["/init", "fake:sleep"] });
    try {
      for (const id of ["f1", "f2"]) {
        assert.equal((await create(e, id)).code, 0, lastLogError(e.log) ?? "");
      }
      const pid2 = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
      assert.equal((await urunc(globals(e, ["start", "f1"]))).code, 0);
      assert.equal(
        (await urunc(globals(e, ["delete", "--force", "f1"]))).code,
        0,
        lastLogError(e.log) ?? "",
      );
      assert.equal(
        (await urunc(globals(e, ["delete", "f2"]))).code,
        0,
        "a created container can be deleted",
      );
      assert.notEqual(await reap(pid2), 0);
      assert.deepEqual(safeReadDir(e.root), []);
      assert.deepEqual(mountsUnder(e.dir), []);
      assert.equal((await urunc(globals(e, ["delete", "--force", "never-existed"]))).code, 0);
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name: "lifecycle: a duplicate id is refused and the first container is untouched",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("dup", { args: ["/init", "fake:sleep"] });
    try {
      assert.equal((await create(e, "d1")).code, 0);
      const again = await create(e, "d1");
      assert.notEqual(again.code, 0);
      assert.equal(lastLogError(e.log), "container d1 already exists");
      assert.equal(JSON.parse((await urunc(globals(e, ["state", "d1"]))).stdout).status, "created");
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name: "lifecycle: urunc run waits and returns the monitor's exit status",
  ignore: !ready,
  async fn() {
    const e = setup("run", { args: ["/init", "fake:exit=7"] });
    try {
      const r = await urunc(globals(e, ["run", "--bundle", e.bundle, "r1"]));
      assert.equal(r.code, 7, lastLogError(e.log) ?? r.stderr);
      assert.match(r.stdout, /"argv"/);
      assert.deepEqual(safeReadDir(e.root), []);
    } finally {
      await e.cleanup();
    }
  },
});

export { DEFAULT_NAMESPACES };

function kvmUsable(): boolean {
  try {
    Deno.openSync("/dev/kvm", { read: true, write: true }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "lifecycle: firecracker (fake) gets --config-file /tmp/fc.json with the plan's JSON inside its jail",
  ignore: !ready || !kvmUsable(),
  async fn() {
    becomeSubreaper();
    const e = setup("fc", {
      args: ["/init", "fake:exit=0"],
      annotations: { ...LINUX_QEMU, "com.urunc.unikernel.hypervisor": "firecracker" },
    });
    try {
      const plan = JSON.parse(
        (await urunc(globals(e, ["plan", "--bundle", e.bundle, "--format", "json"]))).stdout,
      );
      const c = await create(e, "fc1");
      assert.equal(c.code, 0, lastLogError(e.log) ?? "");
      const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
      assert.equal((await urunc(globals(e, ["start", "fc1"]))).code, 0, lastLogError(e.log) ?? "");
      const report = parseReport(await readAll(c.stdout)) as MonitorReport & {
        files: Record<string, string | null>;
      };
      assert.equal(await reap(pid), 0);
      assert.deepEqual(report.argv, [FAKE_MONITOR, "--no-api", "--config-file", "/tmp/fc.json"]);
      assert.deepEqual(
        JSON.parse(report.files["/tmp/fc.json"] ?? "null"),
        JSON.parse(plan.monitor.files[0].content),
      );
      assert.equal((await urunc(globals(e, ["delete", "fc1"]))).code, 0);
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name:
    "lifecycle: solo5-hvt (fake) runs under urunc's seccomp filter: a syscall outside the allow-list is fatal",
  ignore: !ready || !kvmUsable(),
  async fn() {
    becomeSubreaper();
    const annotations = {
      "com.urunc.unikernel.unikernelType": "rumprun",
      "com.urunc.unikernel.hypervisor": "hvt",
      "com.urunc.unikernel.binary": "/kernel",
    };
    for (const seccomp of [true, false]) {
      const e = setup(`hvt-${seccomp}`, { args: ["/app", "fake:exit=0"], annotations, seccomp });
      try {
        const c = await create(e, "h1");
        assert.equal(c.code, 0, lastLogError(e.log) ?? "");
        const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
        assert.equal((await urunc(globals(e, ["start", "h1"]))).code, 0, lastLogError(e.log) ?? "");
        const out = await readAll(c.stdout);
        const status = await reap(pid);
        if (seccomp) {
          // The fake calls getppid(), which solo5-hvt never needs: SIGSYS (31) ends it.
          assert.equal(status, 128 + 31, `expected SIGSYS, got ${status}; output: ${out}`);
        } else {
          assert.equal(status, 0);
          const report = parseReport(out);
          assert.equal(report.seccompMode, 0, "unconfined: no filter");
          assert.equal(report.argv[1], "--mem=256");
        }
        assert.equal((await urunc(globals(e, ["delete", "h1"]))).code, 0);
      } finally {
        await e.cleanup();
      }
    }
  },
});
