// The init child's process model: it outlives a slow create, catches a kill as
// soon as create returns, and a start that dies half-way never leaves a running
// monitor reading as "created".
import assert from "node:assert/strict";
import { join } from "node:path";
import { create, globals, parseReport, readAll, ready, setup } from "../helpers/lifecycle.ts";
import { becomeSubreaper, reap } from "../helpers/subreaper.ts";
import { lastLogError, urunc } from "../helpers/urunc.ts";

async function status(e: ReturnType<typeof setup>, id: string): Promise<string> {
  return JSON.parse((await urunc(globals(e, ["state", id]))).stdout).status;
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
  name: "process model: SIGTERM right after create returns ends the container, and start says why",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("earlyterm", { args: ["/init", "fake:sleep"] });
    try {
      for (const id of ["t1", "t2", "t3"]) {
        const c = await create(e, id);
        assert.equal(c.code, 0, `create failed: ${lastLogError(e.log)}`);
        const pid = Number(Deno.readTextFileSync(join(e.dir, "init.pid")));
        assert.equal((await urunc(globals(e, ["kill", id, "15"]))).code, 0);
        assert.equal(await reap(pid), 128 + 15, "the init ended by SIGTERM");
        assert.equal(await status(e, id), "stopped");
        const s = await urunc(globals(e, ["start", id]));
        assert.notEqual(s.code, 0, "a killed container does not start");
        assert.equal(
          lastLogError(e.log),
          `container ${id} is stopped: the init received SIGTERM before the monitor started`,
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
