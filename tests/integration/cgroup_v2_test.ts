// The cgroup v2 device program for real: loaded with bpf(), attached to a
// cgroup of this machine's cgroup2 mount (on a hybrid host it holds no
// controllers, but device programs attach to any cgroup2 directory).
import assert from "node:assert/strict";
import { join } from "node:path";
import { realSyscalls } from "../../ffi/syscalls.ts";
import { realCgroupFs } from "../../lib/host/cgroups/fs.ts";
import { hostHierarchies } from "../helpers/cgroups.ts";
import { deviceProgram } from "../../lib/plan/cgroups/device_program.ts";
import { isRoot } from "../helpers/subreaper.ts";
import { applyLimits, createCgroupDirs, joinCgroups } from "../../lib/host/cgroups/manager.ts";
import { isFrozen, setFrozen } from "../../lib/host/cgroups/freezer.ts";
import { removeContainerCgroups } from "../../lib/host/cgroups/cleanup.ts";
import { silentLogger } from "../../lib/log.ts";

const unified = isRoot() ? hostHierarchies().find((h) => h.version === 2) : undefined;

Deno.test({
  name: "a process in a cgroup with the device program opens only the allowed devices",
  ignore: unified === undefined,
  async fn() {
    const dir = join(unified!.mount, `urunc-test-dev-${crypto.randomUUID().slice(0, 8)}`);
    const fs = realCgroupFs(realSyscalls);
    assert.ok(fs.mkdir(dir));
    try {
      fs.attachDeviceProgram(
        dir,
        deviceProgram([
          { allow: false, access: "rwm" },
          { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // /dev/null
          { allow: true, type: "c", major: 1, minor: 5, access: "r" }, // /dev/zero, read only
        ]),
      );
      // The shell moves itself in, then tries each open (tests may use a shell to observe).
      const script = `echo $$ > ${dir}/cgroup.procs
: < /dev/null && echo null-read
: > /dev/null && echo null-write
: < /dev/zero && echo zero-read
: > /dev/zero 2>/dev/null && echo zero-write
: < /dev/urandom 2>/dev/null && echo urandom-read
exit 0`;
      const out = await new Deno.Command("sh", { args: ["-c", script], stdout: "piped" }).output();
      assert.deepEqual(
        new TextDecoder().decode(out.stdout).trim().split("\n"),
        ["null-read", "null-write", "zero-read"],
      );
      // A second attach replaces the first (update path): now everything is allowed.
      fs.attachDeviceProgram(dir, deviceProgram([]));
      const again = await new Deno.Command("sh", {
        args: ["-c", `echo $$ > ${dir}/cgroup.procs; : < /dev/urandom && echo urandom-read`],
        stdout: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(again.stdout).trim(), "urandom-read");
    } finally {
      for (let i = 0; i < 100 && fs.rmdir(dir) === "busy"; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  },
});

Deno.test({
  name:
    "v2 code paths on the real cgroup2 mount: mkdir, device program, join, freeze/thaw, removal",
  ignore: unified === undefined,
  async fn() {
    const fs = realCgroupFs(realSyscalls);
    const layout = { version: 2 as const, hierarchies: [unified!] };
    const top = `urunc-test-v2-${crypto.randomUUID().slice(0, 8)}`;
    const made: { dir: string }[] = [];
    const dirs = createCgroupDirs(fs, layout, `/${top}/c1`, {
      creating: (dir) => made.push({ dir }),
      existed: () => assert.fail("fresh directories"),
    });
    const cg = {
      version: 2 as const,
      path: `/${top}/c1`,
      dirs,
      guestMemoryMiB: 0,
      memoryOverheadMiB: 0,
    };
    const child = new Deno.Command("sh", {
      args: ["-c", "while :; do :; done"],
      stdout: "null",
    }).spawn();
    try {
      applyLimits(fs, cg, {
        writes: [],
        deviceProgram: deviceProgram([{ allow: false }, {
          allow: true,
          type: "c",
          major: 1,
          minor: 3,
        }]),
        warnings: [],
      });
      joinCgroups(fs, cg, child.pid);
      assert.equal(fs.read(`${dirs[0].dir}/cgroup.procs`)?.trim(), String(child.pid));
      const usage = () => /usage_usec (\d+)/.exec(fs.read(`${dirs[0].dir}/cpu.stat`) ?? "")?.[1];
      await setFrozen(fs, cg, true);
      assert.ok(isFrozen(fs, cg));
      const frozen = usage();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(usage(), frozen, "a frozen busy loop uses no CPU");
      await setFrozen(fs, cg, false);
      while (usage() === frozen) await new Promise((r) => setTimeout(r, 10));
      assert.ok(!isFrozen(fs, cg));
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    const problems = await removeContainerCgroups(
      realSyscalls(),
      fs,
      silentLogger,
      "c1",
      cg,
      made,
    );
    assert.deepEqual(problems, []);
    assert.ok(!fs.exists(join(unified!.mount, top)), "no directory left");
  },
});
