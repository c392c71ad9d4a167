// The main job, for real: containerd's runc shim drives urunc, which boots the
// Debian kernel + busybox initrd from an OCI image under qemu (TCG).
import assert from "node:assert/strict";
import { Containerd } from "./containerd.ts";
import { catchesSignal } from "./host_view.ts";
import {
  artifacts,
  BUSYBOX_IMAGE_REF,
  e2eTest,
  guestLines,
  run,
  TEST_IMAGE_REF,
  waitFor,
} from "./helpers.ts";

const MARKER = "URUNC-TEST-GUEST: booted";

e2eTest(
  "ctr run boots the unikernel image through urunc: marker, guest cmdline, exit 0, nothing left",
  ["testImageTar", "busyboxImageTar", "urunc"],
  async (t) => {
    const cd = await Containerd.start();
    try {
      await cd.importImage(artifacts.testImageTar);
      await cd.importImage(artifacts.busyboxImageTar);

      await t.step("plain run: console output and the guest cmdline urunc built", async () => {
        const r = await cd.run({ image: TEST_IMAGE_REF, id: "uk-plain", runtime: artifacts.urunc });
        console.log(`ctr run (urunc, qemu TCG) took ${r.ms.toFixed(0)} ms`);
        assert.equal(r.code, 0, `ctr run failed: ${r.stderr}\n${cd.logTail()}`);
        assert.ok(r.stdout.includes(MARKER), `no marker in: ${r.stdout.slice(-2000)}`);
        const cmdline = r.stdout.split("\n").find((l) => l.startsWith("cmdline: "))?.trimEnd();
        assert.equal(
          cmdline,
          "cmdline: panic=-1 console=ttyS0 root=/dev/ram0 rw PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin rdinit=/init --",
        );
        assert.ok(guestLines(r.stdout).includes("URUNC-TEST-GUEST: bye"));
        assert.deepEqual(cd.leftovers({ running: true }), []);
      });

      await t.step("arguments reach the guest init (urunit quoting)", async () => {
        const r = await cd.run({
          image: TEST_IMAGE_REF,
          id: "uk-args",
          runtime: artifacts.urunc,
          args: ["/init", "echo", "two words", "x"],
        });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(
          r.stdout.includes("URUNC-TEST-GUEST: argv: [echo] [two words] [x]"),
          r.stdout.slice(-1500),
        );
      });

      await t.step("with a terminal (-t): the console goes through urunc's pty", async () => {
        // ctr -t insists on a terminal of its own: give it one with script(1).
        const ctr = [
          "ctr",
          "--address",
          cd.address,
          "--namespace",
          cd.namespace,
          "run",
          "--rm",
          "-t",
          "--runc-binary",
          artifacts.urunc,
          "--runc-root",
          cd.runtimeRoot,
          TEST_IMAGE_REF,
          "uk-tty",
        ];
        const r = await run("script", ["-qefc", ctr.join(" "), "/dev/null"], {
          stdin: "",
          timeoutMs: 120_000,
        });
        assert.equal(r.code, 0, `ctr run -t failed: ${r.stderr}\n${cd.logTail()}`);
        assert.ok(r.stdout.includes(MARKER), r.stdout.slice(-1500));
        assert.deepEqual(cd.leftovers({ running: true }), []);
      });

      await t.step(
        "detached run stopped by ctr task kill (SIGTERM) and ctr task delete",
        async () => {
          const r = await cd.run({
            image: TEST_IMAGE_REF,
            id: "uk-detached",
            runtime: artifacts.urunc,
            detach: true,
            rm: false,
            args: ["/init", "sleep"],
          });
          assert.equal(r.code, 0, `ctr run -d failed: ${r.stderr}\n${cd.logTail()}`);
          const ls = await cd.ctr(["task", "ls"]);
          const pid = Number(ls.stdout.match(/uk-detached\s+(\d+)\s+RUNNING/)?.[1]);
          assert.ok(pid > 0, ls.stdout);
          // The monitor is PID 1 of the container: until qemu has its SIGTERM handler, the
          // kernel drops a SIGTERM sent from outside (as for any container's init).
          await waitFor("qemu to catch SIGTERM", () => catchesSignal(pid, 15) || undefined);
          const kill = await cd.ctr(["task", "kill", "uk-detached"]);
          assert.equal(kill.code, 0, kill.stderr);
          await waitFor("the task to stop", async () => {
            const l = await cd.ctr(["task", "ls"]);
            return /uk-detached\s+\d+\s+STOPPED/.test(l.stdout) ? true : undefined;
          }, 60_000);
          const del = await cd.ctr(["task", "delete", "uk-detached"]);
          assert.equal(del.code, 0, del.stderr);
          assert.equal((await cd.ctr(["container", "delete", "uk-detached"])).code, 0);
          assert.deepEqual(cd.leftovers({ running: true }), []);
        },
      );

      await t.step(
        "an image without urunc metadata runs through the same binary via runc",
        async () => {
          const r = await cd.run({
            image: BUSYBOX_IMAGE_REF,
            id: "handoff",
            runtime: artifacts.urunc,
          });
          assert.equal(r.code, 0, `ctr run failed: ${r.stderr}\n${cd.logTail()}`);
          assert.equal(r.stdout.trim(), "hello-from-runc");
          assert.deepEqual(cd.leftovers({ running: true }), []);
        },
      );

      await t.step(
        "a bad annotation fails create with urunc's message and leaves nothing",
        async () => {
          const r = await cd.run({
            image: TEST_IMAGE_REF,
            id: "uk-bad",
            runtime: artifacts.urunc,
            flags: ["--annotation", "com.urunc.unikernel.hypervisor=qemux"],
          });
          assert.notEqual(r.code, 0);
          assert.match(
            r.stderr,
            /OCI runtime create failed: .*com\.urunc\.unikernel\.hypervisor.*qemux/,
          );
          await cd.ctr(["container", "delete", "uk-bad"]);
          assert.deepEqual(cd.leftovers({ running: true }), []);
        },
      );
    } finally {
      await cd.stop();
    }
    assert.deepEqual(cd.leftovers(), []);
  },
);
