// delete through a recording host: the ledger is undone newest first after the
// process is killed, poststop runs only for intact state, and what cannot be
// undone keeps the state dir and is reported.
import assert from "node:assert/strict";
import { join } from "node:path";
import { deleteContainer } from "../../../lib/runtime/delete.ts";
import { runInit } from "../../../lib/runtime/init.ts";
import { FakeNet } from "../network/fake_net.ts";
import { appendLedger, type Resource } from "../../../lib/ledger.ts";
import { realHost } from "../../../lib/host/host.ts";
import { RecordingHost, type RecordingHostOptions } from "../../fakes/recording_host.ts";
import { failing } from "../../fakes/recording_syscalls.ts";
import { created, type Fixture, fixture, inFixture, nothingLeft } from "./lifecycle_fixture.ts";
import { recordingLogger } from "../oci/hook_helpers.ts";

const unmount = (n: string): Resource => ({
  kind: "unmount",
  target: `/nonexistent-urunc-test/${n}`,
  device: `/dev/fake${n}`,
  devno: "7:99",
  fstype: "ext4",
  flags: 0,
  data: "",
});

/** A created container whose ledger also lists two handed-over mounts and two mount points. */
async function withLedger(f: Fixture): Promise<void> {
  await created(f);
  const files = realHost().files;
  const rootfs = join(f.dir, "bundle", "rootfs");
  Deno.mkdirSync(join(rootfs, "mnt"));
  Deno.writeTextFileSync(join(rootfs, "hostname"), "");
  appendLedger(files, f.stateDir, unmount("a"));
  appendLedger(files, f.stateDir, { kind: "path", path: join(rootfs, "mnt"), type: "dir" });
  appendLedger(files, f.stateDir, unmount("b"));
  appendLedger(files, f.stateDir, { kind: "path", path: join(rootfs, "hostname"), type: "file" });
}

/** `urunc delete [--force] <id>` of the fixture's root through `host`. */
function remove(
  host: RecordingHost,
  log: ReturnType<typeof recordingLogger>,
  f: Fixture,
  id: string,
  o: { force: boolean },
): Promise<void> {
  return deleteContainer(host, log, { root: f.root, id, force: o.force, runcArgv: [] });
}

/** A host on which the init (4242) is alive, as create left it. */
function liveHost(o: RecordingHostOptions = {}): RecordingHost {
  const host = new RecordingHost(o);
  host.processes.set(4242, { startTime: 777n, state: "alive" });
  return host;
}

/** A bundle with a poststop hook (the recording host traces hook runs, it runs none). */
const withPoststop = () => fixture({ hooks: { poststop: [{ path: "/hooks/poststop" }] } });

Deno.test("delete: kill the init, poststop, then the ledger newest first, then the state dir", () =>
  inFixture(withPoststop(), async (f) => {
    await withLedger(f);
    const host = liveHost();
    await remove(host, recordingLogger(), f, "c1", { force: false });
    const lines = host.lines(f.dir).filter((l) =>
      !l.startsWith("sys.open") && l !== "sys.lockExclusive 100"
    );
    assert.deepEqual(lines, [
      "sys.pidfdOpen 4242",
      "sys.pidfdSignal 4542",
      "sys.close 4542",
      'hooks.poststop ["/hooks/poststop"]',
      "files.remove <dir>/bundle/rootfs/hostname",
      "sys.mount /dev/fakeb",
      "files.remove <dir>/bundle/rootfs/mnt",
      "sys.mount /dev/fakea",
      "files.remove <dir>/state/c1",
      "sys.close 100",
    ]);
    assert.equal(host.procs.state(4242, 777n), "gone");
    assert.equal(host.trace.find((e) => e.what === "hooks.poststop")?.args[1], "stopped");
    nothingLeft(f);
  }));

Deno.test("delete --force of damaged state: the ledger is undone, no poststop hook, a warning", () =>
  inFixture(withPoststop(), async (f) => {
    await withLedger(f);
    Deno.writeTextFileSync(join(f.stateDir, "state.json"), "{");
    const log = recordingLogger();
    const host = liveHost();
    await assert.rejects(
      remove(host, log, f, "c1", { force: false }),
      /container c1 does not exist: its state is damaged/,
    );
    await remove(host, log, f, "c1", { force: true });
    assert.equal(
      host.trace.some((e) => e.what.startsWith("hooks.")),
      false,
      "poststop needs intact state",
    );
    assert.match(log.lines.join("\n"), /warning: container c1 has damaged state/);
    // The ledger's process is ours for sure: killed through its pidfd.
    assert.ok(host.sys.calls.some((c) => c.call === "pidfdSignal" && c.args[1] === 9));
    assert.deepEqual(
      host.sys.calls.filter((c) => c.call === "mount").map((c) => c.args[0]),
      ["/dev/fakeb", "/dev/fakea"],
    );
    nothingLeft(f);
  }));

Deno.test("delete that cannot undo everything keeps the state dir and names each problem", () =>
  inFixture(fixture(), async (f) => {
    await withLedger(f);
    const host = liveHost({ sys: { failOn: failing("mount", 16) } });
    await assert.rejects(
      remove(host, recordingLogger(), f, "c1", { force: false }),
      (e: Error) =>
        /^container c1 was only partly deleted: cannot restore the mount of \/dev\/fakeb on \/nonexistent-urunc-test\/b: .*EBUSY.*; cannot restore the mount of \/dev\/fakea/
          .test(e.message),
    );
    assert.ok(Deno.statSync(f.stateDir).isDirectory, "kept for a later delete --force");
    assert.equal(
      host.trace.some((e) => e.what === "files.remove" && e.args[0] === f.stateDir),
      false,
    );
    // A second delete finishes the job once the mounts can be restored.
    await remove(new RecordingHost(), recordingLogger(), f, "c1", { force: true });
    nothingLeft(f);
  }));

Deno.test("delete of a running container needs --force and touches nothing without it", () =>
  inFixture(fixture(), async (f) => {
    await withLedger(f);
    Deno.removeSync(join(f.stateDir, "exec.fifo")); // started
    const host = liveHost();
    await assert.rejects(
      remove(host, recordingLogger(), f, "c1", { force: false }),
      (e: Error) =>
        e.message === "cannot delete container c1: it is running; stop it first or use --force",
    );
    assert.deepEqual(host.sys.names(), ["open", "lockExclusive", "close"]);
    await remove(host, recordingLogger(), f, "c1", { force: true });
    assert.equal(host.procs.state(4242, 777n), "gone");
  }));

Deno.test("delete of an unknown id: 'does not exist', and --force succeeds without a trace", () =>
  inFixture(fixture(), async (f) => {
    const host = new RecordingHost();
    await assert.rejects(
      remove(host, recordingLogger(), f, "nope", { force: false }),
      (e: Error) => e.message === "container nope does not exist",
    );
    await remove(host, recordingLogger(), f, "nope", { force: true });
    assert.deepEqual(host.lines(f.dir), []);
  }));

Deno.test("delete after create and init: the container's netns is held across the kill, its tap and tc rules removed in it", () =>
  inFixture(fixture(), async (f) => {
    await created(f);
    const net = new FakeNet();
    const init = new RecordingHost({ rtnl: () => net, tun: net });
    await runInit(init, recordingLogger(), { root: f.root, id: "c1", console: null });
    assert.ok(net.state.links.some((l) => l.name === "tap0_urunc"), "init made the tap");
    // The init removed the fifo once released: the container now reads "running".

    const host = liveHost({ rtnl: () => net, tun: net });
    await remove(host, recordingLogger(), f, "c1", { force: true });
    const lines = host.lines(f.dir);
    const hold = lines.indexOf("sys.open /proc/4242/ns/net");
    const held = "/proc/self/fd/101"; // the recorder's fds: 100 the lock, 101 the netns
    assert.ok(hold >= 0 && hold < lines.indexOf("sys.pidfdSignal 4542"), "held before the kill");
    const enter = lines.indexOf(`netns.enter ${held}`);
    assert.ok(enter > lines.indexOf("sys.pidfdSignal 4542"), "cleaned after the kill");
    assert.equal(lines[enter + 1], "netlink.open");
    assert.ok(
      lines.indexOf("sys.close 101") > lines.indexOf(`netns.leave ${held}`),
      "released last",
    );
    assert.equal(net.state.links.some((l) => l.name === "tap0_urunc"), false, "tap removed");
    assert.deepEqual(net.state.filters, [], "redirects removed");
    assert.deepEqual(net.state.qdiscs.filter((q) => q.ifindex !== 1), [], "ingress qdiscs removed");
    nothingLeft(f);
  }));
