// Many containers at once, as containerd runs them: concurrent create/start/
// kill/delete of different containers must each succeed and leave nothing
// behind. A correctness test: it asserts failures and leftovers, never time.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { mountsUnder, ready, safeReadDir } from "../helpers/lifecycle.ts";
import { becomeSubreaper, reap } from "../helpers/subreaper.ts";
import { lastLogError, sh, testGlobals, urunc, uruncCommand } from "../helpers/urunc.ts";

const CONTAINERS = 24;
const AT_A_TIME = 8;

Deno.test({
  name:
    `concurrency: ${CONTAINERS} lifecycles ${AT_A_TIME} at a time all succeed and leave nothing`,
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const dir = Deno.makeTempDirSync({ prefix: "urunc-concurrent-" });
    const g = testGlobals(dir, writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR));
    const failures: string[] = [];
    /**
     * One CLI call with the shim's view: the exit status and the log (create's stdio
     * is the container's, kept open by the monitor). A failure is recorded, not thrown.
     */
    const call = async (id: string, args: string[]): Promise<boolean> => {
      const [cmd, ...rest] = uruncCommand([...g, ...args]);
      const { code } = await new Deno.Command(cmd, {
        args: rest,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      if (code !== 0) failures.push(`${args[0]} ${id}: ${lastLogError(join(dir, "log.json"))}`);
      return code === 0;
    };
    /** Even containers start a monitor that exits at once; odd ones are killed while created. */
    const lifecycle = async (bundle: string, n: number) => {
      const id = `c${n}`;
      const pidFile = join(dir, `${id}.pid`);
      if (!await call(id, ["create", "--bundle", bundle, "--pid-file", pidFile, id])) return;
      const pid = Number(Deno.readTextFileSync(pidFile));
      if (n % 2 === 0) {
        if (await call(id, ["start", id])) {
          const code = await reap(pid);
          if (code !== 0) failures.push(`the monitor of ${id} exited ${code}`);
        }
      } else if (await call(id, ["kill", id, "KILL"])) await reap(pid);
      await call(id, ["delete", "--force", id]);
    };
    let next = 0;
    try {
      await Promise.all(Array.from({ length: AT_A_TIME }, async (_, w) => {
        // Each its own bundle, as containerd gives each container its own rootfs.
        const bundle = makeBundle(join(dir, `bundle-${w}`), {
          annotations: LINUX_QEMU,
          args: ["/init", "fake:exit=0"],
        });
        while (next < CONTAINERS) await lifecycle(bundle, next++);
      }));
      assert.deepEqual(failures, []);
      assert.deepEqual(safeReadDir(join(dir, "state")), [], "no state dir");
      assert.deepEqual(mountsUnder(dir), [], "no mount");
      const procs = sh(["ps", "-eo", "stat=,args="]).out.split("\n").filter((l) => l.includes(dir));
      assert.deepEqual(procs, [], "no process of any container, not even a zombie");
      for (let w = 0; w < AT_A_TIME; w++) {
        assert.deepEqual(
          safeReadDir(join(dir, `bundle-${w}`, "rootfs")).sort(),
          ["initrd", "kernel"],
          "mount points urunc made are gone",
        );
      }
    } finally {
      for (const id of safeReadDir(join(dir, "state"))) {
        await urunc([...g, "delete", "--force", id]);
      }
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
