// The init child's process model: it outlives a slow create, catches a kill as
// soon as create returns, and a start that dies half-way never leaves a running
// monitor reading as "created".
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  create,
  globals,
  parseReport,
  readAll,
  ready,
  setup,
  waitingOnFifo,
} from "../helpers/lifecycle.ts";
import { becomeSubreaper, reap } from "../helpers/subreaper.ts";
import { createAt, lastLogError, urunc } from "../helpers/urunc.ts";
import { EXEC_FIFO, INIT_ERROR } from "../../lib/runtime/store.ts";

async function status(e: ReturnType<typeof setup>, id: string): Promise<string> {
  return JSON.parse((await urunc(globals(e, ["state", id]))).stdout).status;
}

/** A created container's init pid (create must succeed); the container's output is discarded. */
async function createdInit(e: ReturnType<typeof setup>, id: string): Promise<number> {
  const c = await create(e, id);
  await c.stdout.cancel();
  await c.stderr.cancel();
  assert.equal(c.code, 0, `create failed: ${lastLogError(e.log)}`);
  return Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
}

Deno.test({
  name:
    "process model: a 5 s prestart hook (Docker's setkey is slow) does not end the waiting init",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const dir = Deno.makeTempDirSync({ prefix: "urunc-slowhook-" });
    const hook = join(dir, "slow.sh");
    Deno.writeTextFileSync(hook, "#!/bin/sh\ncat >/dev/null\nsleep 5\n", { mode: 0o755 });
    const e = setup("slowhook", {
      args: ["/init", "fake:exit=0"],
      hooks: { prestart: [{ path: hook }] },
    });
    try {
      const c = await create(e, "slow");
      assert.equal(c.code, 0, `create failed: ${lastLogError(e.log)}`);
      const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
      assert.equal(await status(e, "slow"), "created");
      const s = await urunc(globals(e, ["start", "slow"]));
      assert.equal(s.code, 0, `start failed: ${lastLogError(e.log)}`);
      assert.match(parseReport(await readAll(c.stdout)).argv.at(-1) ?? "", / -- fake:exit=0$/);
      assert.equal(await reap(pid), 0, "the monitor ran and exited 0");
    } finally {
      await e.cleanup();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "process model: SIGTERM, SIGINT or SIGHUP right after create returns ends the container, and start says why",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("earlyterm", { args: ["/init", "fake:sleep"] });
    try {
      // Deno catches SIGHUP itself and, with no listener, aborts: for PID 1 of a
      // namespace that ended in a SIGSEGV and no reason (a closed console hangs up too).
      const cases = [["t1", "SIGTERM", 15], ["t2", "SIGHUP", 1], ["t3", "SIGINT", 2]] as const;
      for (const [id, name, number] of cases) {
        const pid = await createdInit(e, id);
        assert.equal((await urunc(globals(e, ["kill", id, String(number)]))).code, 0);
        assert.equal(await reap(pid), 128 + number, `the init ended by ${name}`);
        assert.equal(await status(e, id), "stopped");
        const s = await urunc(globals(e, ["start", id]));
        assert.notEqual(s.code, 0, "a killed container does not start");
        assert.equal(
          lastLogError(e.log),
          `container ${id} is stopped: the init received ${name} before the monitor started`,
        );
        assert.equal((await urunc(globals(e, ["delete", id]))).code, 0);
      }
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name:
    "process model: start dying after the monitor exec'd leaves the container running, and a second start fails fast",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("startdeath", { args: ["/init", "fake:sleep"] });
    try {
      const c = await create(e, "s1");
      assert.equal(c.code, 0, `create failed: ${lastLogError(e.log)}`);
      const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
      const died = await urunc(globals(e, ["start", "s1"]), {
        env: { URUNC_FAULT: "start:after-exec" },
      });
      assert.equal(died.code, 137, "start crashed at the fault point");
      assert.equal(await status(e, "s1"), "running", "the monitor runs: never 'created'");
      const again = await urunc(globals(e, ["start", "s1"]));
      assert.notEqual(again.code, 0);
      assert.equal(lastLogError(e.log), "container s1 is already running");
      const del = await urunc(globals(e, ["delete", "s1"]));
      assert.notEqual(del.code, 0, "a plain delete does not kill the running monitor");
      assert.equal(await status(e, "s1"), "running");
      assert.equal((await urunc(globals(e, ["kill", "s1", "KILL"]))).code, 0);
      assert.equal(await reap(pid), 128 + 9);
      assert.equal((await urunc(globals(e, ["delete", "s1"]))).code, 0);
      await c.stdout.cancel();
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name: "process model: a waiting init whose exec fifo is removed leaves, and start says why",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("fifogone", { args: ["/init", "fake:sleep"] });
    try {
      const pid = await createdInit(e, "f1");
      await waitingOnFifo(pid);
      Deno.removeSync(join(e.root, "f1", EXEC_FIFO));
      assert.equal(await reap(pid), 1, "the init's watchdog ended it");
      assert.equal(await status(e, "f1"), "stopped");
      assert.notEqual((await urunc(globals(e, ["start", "f1"]))).code, 0);
      assert.match(
        lastLogError(e.log) ?? "",
        /^container f1 is stopped: the init left before start: its exec fifo \S+ was removed or replaced/,
      );
      assert.equal((await urunc(globals(e, ["delete", "f1"]))).code, 0);
    } finally {
      await e.cleanup();
    }
  },
});

Deno.test({
  name:
    "process model: an orphaned init of a deleted container never writes into a new container of the same id",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("orphan", { args: ["/init", "fake:exit=0"] });
    try {
      // create dies right after the spawn: no pid recorded, so delete cannot kill the init.
      const g = globals(e, []);
      const pidFile = join(e.dir, "init.pid");
      const crashed = await createAt(g, {
        bundle: e.bundle,
        pidFile,
        id: "o1",
        fault: "create:after-spawn",
      });
      assert.equal(crashed, 137);
      assert.equal((await urunc(globals(e, ["delete", "--force", "o1"]))).code, 0);
      const pid = await createdInit(e, "o1");
      // The orphan's watchdog has looked at the new fifo by now.
      await new Promise((r) => setTimeout(r, 1200));
      assert.throws(() => Deno.statSync(join(e.root, "o1", INIT_ERROR)), Deno.errors.NotFound);
      const s = await urunc(globals(e, ["start", "o1"]));
      assert.equal(s.code, 0, `start failed: ${lastLogError(e.log)}`);
      assert.equal(await reap(pid), 0);
      assert.equal((await urunc(globals(e, ["delete", "o1"]))).code, 0);
    } finally {
      await e.cleanup();
    }
  },
});
