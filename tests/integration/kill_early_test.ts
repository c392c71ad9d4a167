// The monitor is PID 1 of the container's PID namespace, and the kernel drops a signal
// from outside that PID 1 has no handler for. qemu installs its handlers late (measured:
// SIGTERM ignored 0.3 s after exec), so `ctr run -d` then `ctr task kill` lost the
// signal. `kill` waits for the handler; the fake monitor plays a slow qemu here.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot, reap } from "../helpers/subreaper.ts";
import { testGlobals, urunc, uruncCreate } from "../helpers/urunc.ts";

Deno.test({
  name: "kill TERM right after start reaches a monitor that installs its handler late",
  ignore: !isRoot(),
  async fn() {
    becomeSubreaper();
    const dir = Deno.makeTempDirSync({ prefix: "urunc-kill-early-" });
    try {
      const g = testGlobals(dir, writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR));
      const bundle = makeBundle(join(dir, "b"), {
        annotations: LINUX_QEMU,
        args: ["/init", "fake:late-handlers=2000", "fake:sleep"],
      });
      const c = await uruncCreate([...g, "create", "--bundle", bundle, "k1"]);
      await c.stdout.cancel();
      await c.stderr.cancel();
      assert.equal(c.code, 0);
      const pid = JSON.parse(Deno.readTextFileSync(join(dir, "state", "k1", "state.json"))).pid;
      assert.equal((await urunc([...g, "start", "k1"])).code, 0);
      const k = await urunc([...g, "kill", "k1", "TERM"]);
      assert.equal(k.code, 0, k.stderr);
      // The fake exits 0 from its SIGTERM handler; a dropped signal leaves it sleeping.
      assert.equal(await reap(pid, 20_000), 0);
      assert.equal((await urunc([...g, "delete", "k1"])).code, 0);
    } finally {
      await urunc(["--root", join(dir, "state"), "delete", "--force", "k1"]);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
