// The init child through a recording host: it waits on the exec fifo, sets up
// the network and the jail in order, says "exec" and execs the plan's monitor;
// any failure becomes one "error: ..." line for start, and nothing is exec'd.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runInit } from "../../../lib/runtime/init.ts";
import { EXEC_FIFO, INIT_ERROR } from "../../../lib/runtime/store.ts";
import { FAKE_MONITOR } from "../../helpers/bundle.ts";
import { RecordingHost, type RecordingHostOptions } from "../../fakes/recording_host.ts";
import { ExecveCalled, failing } from "../../fakes/recording_syscalls.ts";
import { FakeNet } from "../network/fake_net.ts";
import { created, type Fixture, fixture } from "./lifecycle_fixture.ts";
import { recordingLogger } from "../oci/hook_helpers.ts";

/** Run the init of a container create made, on a host whose netns looks like a pod's. */
async function init(f: Fixture, o: RecordingHostOptions = {}, console: string | null = null) {
  const net = new FakeNet();
  const host = new RecordingHost({ rtnl: () => net, tun: net, ...o });
  const log = recordingLogger();
  const code = await runInit(host, log, { root: f.root, id: "c1", console });
  return { host, log, net, code };
}

const ledger = (f: Fixture) =>
  Deno.readTextFileSync(join(f.stateDir, "ledger.jsonl")).trim().split("\n").map((l) =>
    JSON.parse(l)
  );

Deno.test("init: fifo, network, jail, privileges, then 'exec' and execve of the plan's monitor", async () => {
  const f = fixture({ hostname: "h1" });
  try {
    await created(f);
    const { host, log, net, code } = await init(f);
    const lines = host.lines(f.dir);
    assert.deepEqual(lines.slice(0, 8), [
      "sys.setsid",
      // Its own state dir, held while waiting: a reason recorded never lands in a new container's.
      "sys.open <dir>/state/c1",
      "files.openFifoWriter <dir>/state/c1/exec.fifo",
      // Released: the fifo goes at once, so the container no longer reads "created".
      "files.remove <dir>/state/c1/exec.fifo",
      "sys.close 100",
      // The state is read only now: create may have started the init before it existed.
      "sys.sethostname h1",
      "tun",
      "netlink.open",
    ]);
    const first = (what: string) => lines.findIndex((l) => l.startsWith(what));
    const order = [
      first("sys.mount"), // isolateMounts, then the jail
      first("sys.pivotRoot"),
      first("sys.closeFromOnExec"),
      first("sys.installSeccomp"),
      first("sys.setCredentials"),
      first("sys.setCapabilities"),
      first("fifo.write exec"),
      first("sys.execve"),
    ];
    assert.ok(order.every((i) => i >= 0), JSON.stringify(order));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), "steps out of order");
    assert.equal(
      lines.indexOf("fifo.write exec\n"),
      lines.indexOf(`sys.execve ${FAKE_MONITOR}`) - 1,
    );
    // execve replaces the process with the argv the plan logged, network included.
    const exec = host.sys.calls.find((c) => c.call === "execve")!;
    const planned = log.lines.find((l) => l.startsWith("debug: exec "))!.slice(
      "debug: exec ".length,
    );
    assert.deepEqual(exec.args[1], JSON.parse(planned));
    assert.equal(exec.args[0], FAKE_MONITOR);
    assert.ok((exec.args[1] as string[]).includes("tap,script=no,downscript=no,ifname=tap0_urunc"));
    // The fake execve returns by throwing: that is the one error line after "exec".
    assert.deepEqual(host.fifoWrites, [
      "exec\n",
      `error: ${new ExecveCalled(FAKE_MONITOR, [], []).message}\n`,
    ]);
    assert.equal(code, 1);
    // Every tap and tc object was ledgered before netlink made it.
    assert.deepEqual(
      ledger(f).filter((r) => r.kind === "net").map((r) => r.resource.kind),
      ["tap", "qdisc-ingress", "qdisc-ingress", "filter", "filter"],
    );
    assert.deepEqual(net.log.slice(0, 1), ["createTap tap0_urunc"]);
    assert.ok(ledger(f).some((r) => r.kind === "path" && r.path.endsWith("/rootfs/dev")));
  } finally {
    f.cleanup();
  }
});

Deno.test("init with a console: the pty slave becomes the controlling terminal and stdio", async () => {
  const f = fixture();
  try {
    await created(f);
    const { host } = await init(f, {}, "/dev/pts/9");
    assert.deepEqual(host.lines(f.dir).slice(0, 9), [
      "sys.setsid",
      "sys.open /dev/pts/9",
      "sys.setControllingTty 100",
      "sys.dup2 100",
      "sys.dup2 100",
      "sys.dup2 100",
      "sys.close 100",
      "sys.open <dir>/state/c1",
      "files.openFifoWriter <dir>/state/c1/exec.fifo",
    ]);
  } finally {
    f.cleanup();
  }
});

/** A step of the init failing after start released it: start reads the error line. */
const failures: { step: string; host: RecordingHostOptions; want: RegExp }[] = [
  {
    step: "the tap",
    host: {
      tun: {
        createTap: () => {
          throw new Error("EBUSY");
        },
      },
    },
    want: /^error: network setup failed at "create tap tap0_urunc"/,
  },
  {
    step: "pivot_root",
    host: { sys: { failOn: failing("pivotRoot", 22) } },
    want: /^error: pivotRoot\(\.\) failed: EINVAL/,
  },
  {
    step: "setresuid",
    host: { sys: { failOn: failing("setCredentials", 1) } },
    want: /^error: .*EPERM/,
  },
  {
    step: "execve",
    host: { sys: { failOn: failing("execve", 2) } },
    want: /^error: .*ENOENT/,
  },
];

for (const c of failures) {
  Deno.test(`init failing at ${c.step}: one "error:" line for start, no execve after it`, async () => {
    const f = fixture();
    try {
      await created(f);
      const { host, code } = await init(f, c.host);
      assert.equal(code, 1);
      const errors = host.fifoWrites.filter((w) => w.startsWith("error: "));
      assert.equal(errors.length, 1, JSON.stringify(host.fifoWrites));
      assert.match(errors[0], c.want);
      if (c.step !== "execve") {
        assert.equal(host.sys.names().includes("execve"), false, "nothing is exec'd");
        assert.equal(host.fifoWrites.includes("exec\n"), false, "no exec line before a failure");
      }
    } finally {
      f.cleanup();
    }
  });
}

Deno.test("init before start: a missing fifo is left in init.err, and the fifo is never opened", async () => {
  const f = fixture();
  try {
    await created(f);
    Deno.removeSync(join(f.stateDir, EXEC_FIFO));
    const { host, code, log } = await init(f);
    assert.equal(code, 1);
    assert.match(
      Deno.readTextFileSync(join(f.stateDir, INIT_ERROR)),
      /^the init failed before start: .*exec\.fifo does not exist$/,
    );
    assert.equal(host.trace.some((e) => e.what === "files.openFifoWriter"), false);
    assert.deepEqual(log.lines.filter((l) => l.startsWith("error:")), [], "start logs it, not us");
  } finally {
    f.cleanup();
  }
});

Deno.test("init reads the state only once released (create may start it early): damaged state is start's error", async () => {
  const f = fixture();
  try {
    await created(f);
    Deno.writeTextFileSync(join(f.stateDir, "state.json"), "{");
    const { host, code } = await init(f);
    assert.equal(code, 1);
    assert.equal(host.fifoWrites.length, 1);
    assert.match(host.fifoWrites[0], /^error: container c1 does not exist: its state is damaged/);
    assert.equal(host.sys.names().includes("execve"), false);
  } finally {
    f.cleanup();
  }
});
