import assert from "node:assert/strict";
import { join } from "node:path";
import { libc } from "../../ffi/libc.ts";
import { testLibc } from "../helpers/test_libc.ts";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { ConsoleSocket, readFdUntil } from "../helpers/console_socket.ts";
import { removeCgroupTree } from "../helpers/cgroups.ts";
import { becomeSubreaper, isRoot, reap } from "../helpers/subreaper.ts";
import { waitingOnFifo } from "../helpers/lifecycle.ts";
import { lastLogError, testGlobals, urunc, uruncCreate } from "../helpers/urunc.ts";

const ready = isRoot();

/** `create --console-socket` as the shim runs it: the pty master arrives while create runs. */
async function createWithConsole(
  g: string[],
  bundle: string,
  sock: ConsoleSocket,
  pidFile: string,
  id: string,
): Promise<{ code: number; master: number; name: string }> {
  const create = uruncCreate([
    ...g,
    "create",
    "--bundle",
    bundle,
    "--console-socket",
    sock.path,
    "--pid-file",
    pidFile,
    id,
  ]);
  const got = sock.receive();
  const c = await create;
  await c.stdout.cancel();
  await c.stderr.cancel();
  return { code: c.code, master: got.fd, name: got.name };
}

// Docker's device list does not allow the pty urunc gives the monitor: a device
// cgroup must not lock the console out.
for (const deviceCgroup of [false, true]) {
  Deno.test({
    name:
      `terminal: the pty master goes over --console-socket and the monitor's stdio is the slave${
        deviceCgroup ? " (device cgroup denying all but the defaults)" : ""
      }`,
    ignore: !ready,
    async fn() {
      becomeSubreaper();
      const dir = Deno.makeTempDirSync({ prefix: "urunc-tty-" });
      const sock = new ConsoleSocket(join(dir, "pty.sock"));
      const top = `urunc-test-tty-${crypto.randomUUID().slice(0, 8)}`;
      let master = -1;
      try {
        const g = testGlobals(dir, writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR));
        const bundle = makeBundle(join(dir, "b"), {
          annotations: LINUX_QEMU,
          terminal: true,
          args: ["/init", "fake:exit=0"],
        });
        if (deviceCgroup) {
          const spec = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
          spec.linux.cgroupsPath = `/${top}/t1`;
          spec.linux.resources = {
            devices: [
              { allow: false, access: "rwm" },
              { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
            ],
          };
          Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec));
        }
        const c = await createWithConsole(g, bundle, sock, join(dir, "pid"), "t1");
        master = c.master;
        assert.equal(c.name, "/dev/ptmx");
        assert.equal(testLibc().isatty(master), 1, "the received fd is a terminal");
        assert.equal(c.code, 0, lastLogError(join(dir, "log.json")) ?? "");
        const pid = Number(Deno.readTextFileSync(join(dir, "pid")));
        assert.equal(
          (await urunc([...g, "start", "t1"])).code,
          0,
          lastLogError(join(dir, "log.json")) ?? "",
        );
        const out = await readFdUntil(master, /"argv"[\s\S]*\n/);
        const report = JSON.parse(out.slice(out.indexOf("{"), out.lastIndexOf("}") + 1));
        assert.deepEqual(report.fds, [0, 1, 2]);
        assert.equal(report.tty, true, "the monitor's stdio is the pty slave");
        assert.equal(await reap(pid), 0);
        assert.equal((await urunc([...g, "delete", "t1"])).code, 0);
      } finally {
        if (master >= 0) libc().close(master);
        sock.close();
        if (deviceCgroup) await removeCgroupTree(`/${top}`);
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "terminal: the console's master closing before start ends the init, and start says why",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const dir = Deno.makeTempDirSync({ prefix: "urunc-hangup-" });
    const sock = new ConsoleSocket(join(dir, "pty.sock"));
    const g = testGlobals(dir, writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR));
    try {
      const bundle = makeBundle(join(dir, "b"), {
        annotations: LINUX_QEMU,
        terminal: true,
        args: ["/init", "fake:exit=0"],
      });
      const c = await createWithConsole(g, bundle, sock, join(dir, "pid"), "h1");
      assert.equal(c.code, 0, lastLogError(join(dir, "log.json")) ?? "");
      const pid = Number(Deno.readTextFileSync(join(dir, "pid")));
      await waitingOnFifo(pid); // the slave is its controlling terminal by then
      libc().close(c.master); // the kernel hangs the terminal up: SIGHUP to the init
      assert.equal(await reap(pid), 128 + 1);
      assert.notEqual((await urunc([...g, "start", "h1"])).code, 0);
      assert.equal(
        lastLogError(join(dir, "log.json")),
        "container h1 is stopped: the init received SIGHUP before the monitor started",
      );
      assert.equal((await urunc([...g, "delete", "h1"])).code, 0);
    } finally {
      await urunc([...g, "delete", "--force", "h1"]);
      sock.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "runc hand-off: a bundle without urunc metadata is given to runc with the same argv, less urunc's own flags",
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "urunc-handoff-" });
    try {
      const record = join(dir, "argv");
      const fakeRunc = join(dir, "runc");
      Deno.writeTextFileSync(
        fakeRunc,
        `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > ${record}\nexit 42\n`,
        { mode: 0o755 },
      );
      const bundle = makeBundle(join(dir, "b"), { annotations: {} });
      const argv = [
        "--root",
        join(dir, "state"),
        "--log",
        join(dir, "log.json"),
        "--log-format",
        "json",
      ];
      const command = ["create", "--bundle", bundle, "--pid-file", join(dir, "pid"), "plain"];
      const config = writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR);
      const r = await urunc([...argv, "--config", config, ...command], {
        env: { URUNC_RUNC: fakeRunc },
      });
      assert.equal(r.code, 42, "runc's exit status is ours");
      const got = Deno.readTextFileSync(record).trimEnd().split("\n");
      assert.deepEqual(got.slice(1), [...argv, ...command], "runc gets urunc's argv, no --config");
      assert.deepEqual(
        [...safeDir(join(dir, "state"))],
        [],
        "urunc created nothing for runc's container",
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

for (
  const marker of [
    { "io.kubernetes.cri.container-type": "sandbox" },
    { "io.kubernetes.cri-o.ContainerType": "sandbox" },
  ] as Record<string, string>[]
) {
  Deno.test({
    name: `runc hand-off: a pod sandbox (${
      Object.keys(marker)[0]
    }) goes to runc even with urunc annotations`,
    async fn() {
      const dir = Deno.makeTempDirSync({ prefix: "urunc-sandbox-" });
      try {
        const record = join(dir, "argv");
        const fakeRunc = join(dir, "runc");
        Deno.writeTextFileSync(fakeRunc, `#!/bin/sh\nprintf '%s\\n' "$@" > ${record}\n`, {
          mode: 0o755,
        });
        // A broken urunc key too: a sandbox is runc's before anything urunc would check.
        const bundle = makeBundle(join(dir, "b"), {
          annotations: { ...LINUX_QEMU, ...marker, "com.urunc.unikernel.hypervisor": "qemux" },
        });
        const argv = ["--root", join(dir, "state"), "create", "--bundle", bundle, "pause1"];
        const r = await urunc(argv, { env: { URUNC_RUNC: fakeRunc } });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(Deno.readTextFileSync(record).trimEnd().split("\n"), argv);
        assert.deepEqual(safeDir(join(dir, "state")), [], "urunc created nothing for the sandbox");
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "runc hand-off: commands on a container whose state runc wrote go to runc",
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "urunc-handoff2-" });
    try {
      const record = join(dir, "argv");
      const fakeRunc = join(dir, "runc");
      Deno.writeTextFileSync(fakeRunc, `#!/bin/sh\nprintf '%s\\n' "$@" > ${record}\n`, {
        mode: 0o755,
      });
      Deno.mkdirSync(join(dir, "state", "r1"), { recursive: true });
      Deno.writeTextFileSync(
        join(dir, "state", "r1", "state.json"),
        JSON.stringify({ id: "r1", init_process_pid: 1 }),
      );
      for (
        const cmd of [["start", "r1"], ["kill", "r1", "9"], ["delete", "--force", "r1"], [
          "state",
          "r1",
        ]]
      ) {
        const argv = ["--root", join(dir, "state"), ...cmd];
        const r = await urunc(argv, { env: { URUNC_RUNC: fakeRunc } });
        assert.equal(r.code, 0);
        assert.deepEqual(Deno.readTextFileSync(record).trimEnd().split("\n"), argv);
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

function safeDir(p: string): string[] {
  try {
    return [...Deno.readDirSync(p)].map((e) => e.name);
  } catch {
    return [];
  }
}
