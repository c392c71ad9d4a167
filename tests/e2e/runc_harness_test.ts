// Baseline for the e2e harness: a plain OCI image through our private containerd with the
// real runc. If this fails, the urunc e2e tests cannot be trusted either; the runc hand-off
// test compares against this behaviour.
import assert from "node:assert/strict";
import { Containerd } from "./containerd.ts";
import { artifacts, BUSYBOX_IMAGE_REF, e2eTest, TEST_IMAGE_REF } from "./helpers.ts";

e2eTest(
  "runc baseline: busybox image runs through the private containerd",
  ["busyboxImageTar"],
  async () => {
    const cd = await Containerd.start();
    try {
      const imported = await cd.importImage(artifacts.busyboxImageTar);
      assert.match(imported, /busybox-test/);
      const r = await cd.run({ image: BUSYBOX_IMAGE_REF, id: "runc-baseline" });
      console.log(`ctr run (runc) took ${r.ms.toFixed(0)} ms`);
      assert.equal(r.code, 0, `ctr run failed: ${r.stderr}\n${cd.logTail()}`);
      assert.equal(r.stdout.trim(), "hello-from-runc");

      const exit = await cd.run({
        image: BUSYBOX_IMAGE_REF,
        id: "runc-exit",
        args: ["/bin/sh", "-c", "exit 7"],
      });
      assert.equal(exit.code, 7, "ctr run reports the container's exit status");

      // --rm deleted the containers: nothing of them may remain while containerd still runs.
      assert.deepEqual(cd.leftovers({ running: true }), []);
      const tasks = await cd.ctr(["task", "ls", "-q"]);
      assert.equal(tasks.stdout.trim(), "");
    } finally {
      await cd.stop();
    }
    assert.deepEqual(cd.leftovers(), []);
  },
);

e2eTest(
  "test image: imports by name and carries kernel, initrd and urunc.json",
  ["testImageTar"],
  async () => {
    const cd = await Containerd.start();
    const target = `${cd.dir}/image-mount`;
    try {
      await cd.importImage(artifacts.testImageTar);
      const ls = await cd.ctr(["image", "ls", "-q"]);
      assert.match(ls.stdout, new RegExp(`^${TEST_IMAGE_REF}$`, "m"));
      Deno.mkdirSync(target);
      const m = await cd.ctr(["image", "mount", TEST_IMAGE_REF, target]);
      assert.equal(m.code, 0, m.stderr);
      const names = [...Deno.readDirSync(target)].map((e) => e.name).sort();
      assert.deepEqual(names, ["initrd", "kernel", "urunc.json"]);
      const meta = JSON.parse(Deno.readTextFileSync(`${target}/urunc.json`));
      const decoded = Object.fromEntries(
        Object.entries(meta).map(([k, v]) => [k, atob(v as string)]),
      );
      assert.deepEqual(decoded, {
        "com.urunc.unikernel.unikernelType": "linux",
        "com.urunc.unikernel.hypervisor": "qemu",
        "com.urunc.unikernel.binary": "/kernel",
        "com.urunc.unikernel.initrd": "/initrd",
        "com.urunc.unikernel.useDMBlock": "false",
      });
      const um = await cd.ctr(["image", "unmount", "--rm", target]);
      assert.equal(um.code, 0, um.stderr);
      assert.deepEqual(cd.leftovers({ running: true }), []);
    } finally {
      await cd.stop();
    }
    assert.deepEqual(cd.leftovers(), []);
  },
);
