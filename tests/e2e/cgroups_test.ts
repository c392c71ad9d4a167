// cgroups through containerd: ctr run with memory and CPU limits puts the qemu monitor in
// the container's cgroup with those limits, `ctr task metrics` reads it, pause freezes the
// guest (its console stops) and resume continues it, update changes the limits, and
// nothing is left afterwards, the cgroup directories included.
import assert from "node:assert/strict";
import { Containerd } from "./containerd.ts";
import { artifacts, e2eTest, TEST_IMAGE_REF, waitFor } from "./helpers.ts";
import { shimUpdate } from "./shim_ttrpc.ts";
import { v1CgroupFile } from "../helpers/cgroups.ts";
import { DEFAULT_MEMORY_OVERHEAD_MIB } from "../../lib/config/host_config.ts";

const MIB = 1024 * 1024;

const v1File = v1CgroupFile;

function ticks(log: string): number[] {
  return [...log.matchAll(/URUNC-TEST-GUEST: tick (\d+)/g)].map((m) => Number(m[1]));
}

e2eTest(
  "ctr run --memory-limit --cpus: monitor in its cgroup, metrics, pause/resume, update, cleanup",
  ["testImageTar", "urunc"],
  async (t) => {
    // A namespace of our own: the cgroup path is /<namespace>/<id> in every hierarchy.
    const namespace = `urunc-e2e-cg-${crypto.randomUUID().slice(0, 6)}`;
    const cd = await Containerd.start({ namespace });
    const id = "uk-cg";
    const path = `/${namespace}/${id}`;
    const consoleLog = `${cd.dir}/console.log`;
    try {
      await cd.importImage(artifacts.testImageTar);
      const r = await cd.run({
        image: TEST_IMAGE_REF,
        id,
        runtime: artifacts.urunc,
        detach: true,
        rm: false,
        args: ["/init", "tick"],
        flags: [
          "--memory-limit",
          String(256 * MIB),
          "--cpus",
          "1.5",
          "--log-uri",
          `file://${consoleLog}`,
        ],
      });
      assert.equal(r.code, 0, `ctr run -d failed: ${r.stderr}\n${cd.logTail()}`);
      const pid = Number(
        /uk-cg\s+(\d+)\s+RUNNING/.exec((await cd.ctr(["task", "ls"])).stdout)?.[1],
      );
      assert.ok(pid > 0, "a running task");

      await t.step("the monitor (the task's pid) sits in the cgroup with the limits", () => {
        assert.match(
          Deno.readTextFileSync(`/proc/${pid}/exe`.replace("exe", "cmdline")),
          /qemu-system/,
        );
        const cg = Deno.readTextFileSync(`/proc/${pid}/cgroup`);
        for (const c of ["memory", "cpu", "cpuacct", "pids", "freezer", "devices"]) {
          assert.match(cg, new RegExp(`:${c}:${path}$`, "m"), cg);
        }
        const overhead = DEFAULT_MEMORY_OVERHEAD_MIB.qemu;
        assert.equal(
          v1File("memory", path, "memory.limit_in_bytes"),
          String((256 + overhead) * MIB),
        );
        assert.equal(v1File("cpu", path, "cpu.cfs_quota_us"), "150000");
        assert.equal(v1File("cpu", path, "cpu.cfs_period_us"), "100000");
        assert.match(
          Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " "),
          / -m 256M /,
        );
        assert.match(
          Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " "),
          / -smp 2 /,
        );
      });

      await t.step("ctr task metrics shows the memory in use", async () => {
        await waitFor(
          "the guest to tick",
          () => ticks(readLog(consoleLog)).length > 0 || undefined,
          120_000,
        );
        const m = await cd.ctr(["task", "metrics", id]);
        assert.equal(m.code, 0, m.stderr);
        const usage = Number(/memory\.usage_in_bytes\s+(\d+)/.exec(m.stdout)?.[1]);
        assert.ok(usage > 16 * MIB, `memory in use: ${m.stdout}`);
        const limit = Number(/memory\.limit_in_bytes\s+(\d+)/.exec(m.stdout)?.[1]);
        assert.equal(limit, (256 + DEFAULT_MEMORY_OVERHEAD_MIB.qemu) * MIB);
        const peak = Number(v1File("memory", path, "memory.max_usage_in_bytes"));
        console.log(
          `qemu (TCG) + 256 MiB guest, booted and ticking: peak ${(peak / MIB).toFixed(0)} MiB`,
        );
      });

      await t.step("ctr task pause stops the guest's console, resume continues it", async () => {
        assert.equal((await cd.ctr(["task", "pause", id])).code, 0);
        assert.match((await cd.ctr(["task", "ls"])).stdout, /uk-cg\s+\d+\s+PAUSED/);
        assert.equal(v1File("freezer", path, "freezer.state"), "FROZEN");
        const frozenCpu = v1File("cpuacct", path, "cpuacct.usage");
        const at = readLog(consoleLog);
        // The guest prints a line a second; a frozen VM prints none and uses no CPU.
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(readLog(consoleLog), at, "no console output while paused");
        assert.equal(v1File("cpuacct", path, "cpuacct.usage"), frozenCpu);
        assert.equal((await cd.ctr(["task", "resume", id])).code, 0);
        const last = Math.max(...ticks(at));
        await waitFor(
          "ticks after resume",
          () => Math.max(...ticks(readLog(consoleLog))) > last || undefined,
          60_000,
        );
      });

      await t.step(
        "the shim's Task.Update (as containerd sends it) changes the limits",
        async () => {
          // ctr 1.6 has no `task update`: speak the shim's ttrpc API like containerd does;
          // the shim runs `urunc update --resources - ID` with the JSON on stdin.
          const address = Deno.readTextFileSync(`${cd.bundle(id)}/address`).trim();
          await shimUpdate(address, id, {
            memory: { limit: 512 * MIB },
            cpu: { quota: 50000, period: 100000 },
          });
          assert.equal(
            v1File("memory", path, "memory.limit_in_bytes"),
            String((512 + DEFAULT_MEMORY_OVERHEAD_MIB.qemu) * MIB),
          );
          assert.equal(v1File("cpu", path, "cpu.cfs_quota_us"), "50000");
          // a guest share below the booted RAM comes back as the shim's error, with urunc's reason
          await assert.rejects(
            shimUpdate(address, id, { memory: { limit: 128 * MIB } }),
            /below the 256 MiB of RAM the guest booted with/,
          );
        },
      );

      await t.step("kill and delete leave no cgroup behind", async () => {
        assert.equal((await cd.ctr(["task", "kill", "-s", "KILL", id])).code, 0);
        await waitFor("the task to stop", async () => {
          const l = await cd.ctr(["task", "ls"]);
          return /uk-cg\s+\d+\s+STOPPED/.test(l.stdout) ? true : undefined;
        }, 60_000);
        assert.equal((await cd.ctr(["task", "delete", id])).code, 0);
        assert.equal((await cd.ctr(["container", "delete", id])).code, 0);
        assert.deepEqual(cd.leftovers({ running: true }), []);
        for (const h of ["memory", "cpu", "freezer"]) {
          assert.throws(
            () => v1File(h, `/${namespace}`, "cgroup.procs"),
            `no /${namespace} in ${h}`,
          );
        }
      });
    } finally {
      await cd.stop();
    }
    assert.deepEqual(cd.leftovers(), []);
  },
);

function readLog(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}
