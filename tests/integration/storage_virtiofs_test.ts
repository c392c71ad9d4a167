// virtiofs with a fake virtiofsd (the fake monitor given --socket-path listens there): the
// daemon is started in the jail before the monitor, in the container's PID namespace, with the
// planned argv and its socket owned by the container's user; it dies with the monitor.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot } from "../helpers/subreaper.ts";
import { createAt, lastLogError, testGlobals, urunc } from "../helpers/urunc.ts";

function children(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(" ")
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cmdline(pid: number): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

Deno.test({
  name: "virtiofs: virtiofsd runs beside the monitor in its PID namespace and dies with it",
  ignore: !isRoot(),
  async fn() {
    becomeSubreaper();
    const dir = Deno.makeTempDirSync({ prefix: "urunc-virtiofs-" });
    try {
      const config = writeHostConfig(
        join(dir, "c.toml"),
        FAKE_MONITOR,
        `[storage]\nshared_fs = "virtiofs"\nvirtiofsd = ${JSON.stringify(FAKE_MONITOR)}\n`,
      );
      const g = testGlobals(dir, config);
      const bundle = makeBundle(join(dir, "b"), {
        annotations: { ...LINUX_QEMU, "com.urunc.unikernel.mountRootfs": "true" },
        args: ["/urunit", "fake:sleep"],
        user: { uid: 1000, gid: 1000 },
        namespaces: [{ type: "pid" }, { type: "mount" }, { type: "network" }],
      });
      const c = await createAt(g, { bundle, pidFile: join(dir, "pid"), id: "v1" });
      assert.equal(c, 0, lastLogError(join(dir, "log.json")) ?? "");
      const s = await urunc([...g, "start", "v1"]);
      assert.equal(s.code, 0, lastLogError(join(dir, "log.json")) ?? s.stderr);
      const monitor = Number(Deno.readTextFileSync(join(dir, "pid")));
      const argv = cmdline(monitor);
      assert.ok(
        argv.includes("vhost-user-fs-pci,queue-size=1024,chardev=chfs0,tag=fs0"),
        argv.join(" "),
      );
      assert.ok(argv.includes("socket,id=chfs0,path=/tmp/urunc/virtiofs-fs0.sock"));
      const helpers = children(monitor);
      assert.equal(helpers.length, 1, `children of the monitor: ${helpers}`);
      assert.deepEqual(cmdline(helpers[0]), [
        FAKE_MONITOR,
        "--socket-path=/tmp/urunc/virtiofs-fs0.sock",
        "--shared-dir=/tmp/urunc/rootfs",
        "--sandbox=chroot",
        "--cache=auto",
      ]);
      const sock = Deno.lstatSync(`/proc/${monitor}/root/tmp/urunc/virtiofs-fs0.sock`);
      assert.ok(sock.isSocket);
      assert.deepEqual([sock.uid, sock.gid], [1000, 1000]);
      // the daemon serves the rootfs through the jail's share (here: the fake's view of it)
      assert.ok(Deno.statSync(`/proc/${helpers[0]}/root/tmp/urunc/rootfs/kernel`).isFile);

      const d = await urunc([...g, "delete", "--force", "v1"]);
      assert.equal(d.code, 0, lastLogError(join(dir, "log.json")) ?? d.stderr);
      assert.equal(alive(monitor), false);
      assert.equal(alive(helpers[0]), false, "virtiofsd died with the monitor");
      assert.deepEqual([...Deno.readDirSync(join(dir, "state"))], []);
      assert.deepEqual([...Deno.readDirSync(join(bundle, "rootfs"))].map((e) => e.name).sort(), [
        "initrd",
        "kernel",
      ]);
    } finally {
      await urunc(["--root", join(dir, "state"), "delete", "--force", "v1"]);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
