// The cgroup v2 device program for real: loaded with bpf(), attached to a
// cgroup of this machine's cgroup2 mount (on a hybrid host it holds no
// controllers, but device programs attach to any cgroup2 directory).
import assert from "node:assert/strict";
import { join } from "node:path";
import { realSyscalls } from "../../ffi/syscalls.ts";
import { realCgroupFs } from "../../lib/host/cgroups/fs.ts";
import { parseLayout } from "../../lib/plan/cgroups/hierarchy.ts";
import { deviceProgram } from "../../lib/plan/cgroups/device_program.ts";
import { isRoot } from "../helpers/subreaper.ts";

const unified = isRoot()
  ? parseLayout(
    Deno.readTextFileSync("/proc/self/mountinfo"),
    Deno.readTextFileSync("/proc/self/cgroup"),
  ).hierarchies.find((h) => h.version === 2)
  : undefined;

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
