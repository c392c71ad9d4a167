// create through a recording host: what it writes, in which order, what it
// spawns, and that a failure at any step leaves nothing behind.
import assert from "node:assert/strict";
import { join } from "node:path";
import { silentLogger } from "../../../lib/log.ts";
import { createContainer } from "../../../lib/runtime/create.ts";
import { startInitEarly } from "../../../lib/runtime/early_init.ts";
import type { ContainerState } from "../../../lib/runtime/store.ts";
import { RecordingHost, type RecordingHostOptions } from "../../fakes/recording_host.ts";
import { failing } from "../../fakes/recording_syscalls.ts";
import { created, fixture, nothingLeft } from "./lifecycle_fixture.ts";

const readState = (dir: string): ContainerState =>
  JSON.parse(Deno.readTextFileSync(join(dir, "state.json")));

Deno.test("create: dir and owner marker first, state only by rename, the init spawned inside new namespaces", async () => {
  const f = fixture();
  try {
    const host = await created(f);
    const lines = host.lines(f.dir);
    const S = "<dir>/state/c1";
    const spawnAt = lines.findIndex((l) => l.startsWith("spawn "));
    assert.deepEqual(lines.slice(0, 8), [
      "files.mkdir <dir>/state",
      `files.mkdir ${S}`,
      `files.writeFile ${S}/urunc.owner`,
      `sys.open ${S}`,
      "sys.lockExclusive 100",
      `files.writeFile ${S}/state.json.tmp-PID`,
      `files.rename ${S}/state.json.tmp-PID`,
      `sys.mkfifo ${S}/exec.fifo`,
    ]);
    // state.json is never written in place: readers see the old or the new one.
    assert.equal(lines.filter((l) => l.startsWith(`files.writeFile ${S}/state.json `)).length, 0);
    assert.equal(lines.filter((l) => l === `files.rename ${S}/state.json.tmp-PID`).length, 3);
    // The spawn is the only thing inside the window of the unshared namespaces.
    assert.deepEqual(lines.slice(spawnAt - 2, spawnAt), [
      "sys.unshare 512",
      "sys.unshare 1812070400",
    ]);
    assert.match(lines[spawnAt + 1], /^sys\.setns /);
    const req = host.trace.find((e) => e.what === "spawn")!.args[0] as {
      args: string[];
      stdio: string;
    };
    assert.deepEqual(req.args.slice(req.args.indexOf("--root")), [
      "--root",
      f.root,
      "--log-format",
      "json",
      "init",
      "c1",
    ]);
    assert.equal(req.stdio, "inherit", "without a terminal the init keeps create's stdio");
    // After the spawn: the process in the ledger, then its pid for the shim, then "created".
    assert.deepEqual(lines.slice(-8), [
      `files.writeFile ${S}/ledger.jsonl`,
      `files.writeFile ${S}/state.json.tmp-PID`,
      `files.rename ${S}/state.json.tmp-PID`,
      "files.writeFile <dir>/init.pid.tmp-PID",
      "files.rename <dir>/init.pid.tmp-PID",
      `files.writeFile ${S}/state.json.tmp-PID`,
      `files.rename ${S}/state.json.tmp-PID`,
      "sys.close 100",
    ]);
    const state = readState(f.stateDir);
    assert.deepEqual([state.pid, state.pidStartTime, state.phase], [4242, "777", "created"]);
    assert.equal(Deno.readTextFileSync(join(f.dir, "init.pid")), "4242");
    assert.equal(
      Deno.readTextFileSync(join(f.stateDir, "ledger.jsonl")),
      '{"kind":"process","pid":4242,"startTime":"777"}\n',
    );
  } finally {
    f.cleanup();
  }
});

Deno.test("create with a terminal: the pty master goes to the console socket before the spawn, the init gets the slave", async () => {
  const f = fixture({ terminal: true });
  f.opts.consoleSocket = "/run/shim/console.sock";
  try {
    const host = await created(f);
    const lines = host.lines(f.dir);
    const at = lines.indexOf("console.openPty");
    assert.deepEqual(lines.slice(at, at + 3), [
      "console.openPty",
      "console.sendFd /run/shim/console.sock",
      "sys.close 55",
    ]);
    assert.deepEqual(
      host.trace.find((e) => e.what === "console.sendFd")!.args,
      ["/run/shim/console.sock", 55, "/dev/ptmx"],
    );
    const spawnAt = lines.findIndex((l) => l.startsWith("spawn "));
    assert.ok(at < spawnAt);
    const req = host.trace[host.trace.findIndex((e) => e.what === "spawn")].args[0] as {
      args: string[];
      stdio: string;
    };
    assert.deepEqual(req.args.slice(-4), ["init", "--console", "/dev/pts/9", "c1"]);
    assert.equal(req.stdio, "null", "the shim reads create's stdout until EOF");
  } finally {
    f.cleanup();
  }
});

Deno.test("create refuses a terminal without a console socket before it creates anything", async () => {
  const f = fixture({ terminal: true });
  try {
    const host = new RecordingHost();
    await assert.rejects(
      createContainer(host, silentLogger, f.opts),
      /process\.terminal is true but no --console-socket was given/,
    );
    assert.deepEqual(host.lines(f.dir), []);
  } finally {
    f.cleanup();
  }
});

Deno.test("create of an id that exists fails and leaves the first container alone", async () => {
  const f = fixture();
  try {
    await created(f);
    const before = Deno.readTextFileSync(join(f.stateDir, "state.json"));
    const host = new RecordingHost();
    await assert.rejects(
      createContainer(host, silentLogger, f.opts),
      /container c1 already exists/,
    );
    assert.equal(Deno.readTextFileSync(join(f.stateDir, "state.json")), before);
    assert.equal(host.trace.some((e) => e.what === "spawn" || e.what === "files.remove"), false);
  } finally {
    f.cleanup();
  }
});

const EIO = () => new Deno.errors.Interrupted("injected I/O error");

/** Each step create takes, failing: the error surfaces and nothing is left behind. */
const failures: {
  step: string;
  host: RecordingHostOptions;
  want: RegExp;
  /** The init existed when it failed: it must have been SIGKILLed through its pidfd. */
  spawned: boolean;
}[] = [
  {
    step: "the owner marker",
    host: { failFiles: (op, p) => op === "writeFile" && p.endsWith("urunc.owner") ? EIO() : null },
    want: /injected I\/O error/,
    spawned: false,
  },
  {
    step: "the first state write",
    host: {
      failFiles: (op, p) => op === "writeFile" && p.includes("state.json.tmp") ? EIO() : null,
    },
    want: /injected I\/O error/,
    spawned: false,
  },
  {
    step: "the exec fifo",
    host: { sys: { failOn: failing("mkfifo", 28) } },
    want: /mkfifo.*ENOSPC/,
    spawned: false,
  },
  {
    step: "unshare",
    host: { sys: { failOn: failing("unshare", 1) } },
    want: /unshare.*EPERM/,
    spawned: false,
  },
  {
    step: "the spawn",
    host: { failSpawn: () => new Deno.errors.NotFound("no deno") },
    want: /no deno/,
    spawned: false,
  },
  {
    step: "the process ledger line",
    host: { failFiles: (op, p) => op === "writeFile" && p.endsWith("ledger.jsonl") ? EIO() : null },
    want: /injected I\/O error/,
    spawned: true,
  },
  {
    step: "the pid file",
    host: { failFiles: (op, p) => op === "writeFile" && p.includes("init.pid") ? EIO() : null },
    want: /injected I\/O error/,
    spawned: true,
  },
];

for (const c of failures) {
  Deno.test(`create failing at ${c.step}: the error, no state dir, no live init`, async () => {
    const f = fixture();
    try {
      const host = new RecordingHost(c.host);
      await assert.rejects(createContainer(host, silentLogger, f.opts), c.want);
      nothingLeft(f);
      const killed = host.sys.calls.some((x) => x.call === "pidfdSignal" && x.args[1] === 9);
      assert.equal(killed, c.spawned);
      if (c.spawned) assert.equal(host.procs.state(4242, 777n), "gone");
      const lock = host.sys.calls.find((x) => x.call === "open" && x.args[0] === f.stateDir);
      if (lock) assert.equal(host.sys.calls.at(-1)?.call, "close", "the lock is released");
    } finally {
      f.cleanup();
    }
  });
}

Deno.test("create: an init that dies before its signal handlers are in fails create with the init's reason", async () => {
  const f = fixture();
  try {
    const host = new RecordingHost();
    const spawn = host.spawn.bind(host);
    host.spawn = (req) => {
      const child = spawn(req);
      // It ran long enough to leave its reason, then died (a zombie until the shim reaps it).
      Deno.writeTextFileSync(join(f.stateDir, "init.err"), "the init failed before start: boom");
      host.processes.set(child.pid, { startTime: 777n, state: "zombie" });
      return child;
    };
    await assert.rejects(
      createContainer(host, silentLogger, f.opts),
      (e: Error) => e.message === "container c1: the init failed before start: boom",
    );
    nothingLeft(f);
  } finally {
    f.cleanup();
  }
});

Deno.test("create runs prestart, createRuntime, createContainer hooks after the pid file, before 'created'", async () => {
  const f = fixture({
    hooks: {
      prestart: [{ path: "/hooks/prestart" }],
      createRuntime: [{ path: "/hooks/createRuntime" }],
      createContainer: [{ path: "/hooks/createContainer" }],
      poststop: [{ path: "/hooks/poststop" }],
    },
  });
  try {
    const host = await created(f);
    const lines = host.lines(f.dir);
    const at = lines.indexOf("files.rename <dir>/init.pid.tmp-PID");
    assert.deepEqual(lines.slice(at + 1, at + 4), [
      'hooks.prestart ["/hooks/prestart"]',
      'hooks.createRuntime ["/hooks/createRuntime"]',
      'hooks.createContainer ["/hooks/createContainer"]',
    ]);
    assert.deepEqual(
      host.trace.filter((e) => e.what.startsWith("hooks.")).map((e) => e.args[1]),
      ["created", "created", "created"],
    );
  } finally {
    f.cleanup();
  }
});

Deno.test("a create whose createRuntime hook fails kills the init and runs no poststop", async () => {
  const f = fixture({
    hooks: {
      createRuntime: [{ path: "/hooks/createRuntime" }],
      poststop: [{ path: "/hooks/poststop" }],
    },
  });
  try {
    const host = new RecordingHost({
      failHooks: (kind) => kind === "createRuntime" ? new Error("createRuntime hook failed") : null,
    });
    await assert.rejects(createContainer(host, silentLogger, f.opts), /createRuntime hook failed/);
    assert.equal(host.procs.state(4242, 777n), "gone");
    assert.deepEqual(host.trace.filter((e) => e.what.startsWith("hooks.")).map((e) => e.what), [
      "hooks.createRuntime",
    ]);
    nothingLeft(f);
  } finally {
    f.cleanup();
  }
});

Deno.test("create with an early init: dir, fifo, spawn and its ledger line before validation, then the same init", async () => {
  const f = fixture();
  try {
    const host = new RecordingHost();
    const early = await startInitEarly(host, f.opts);
    assert.ok(early !== null);
    const S = "<dir>/state/c1";
    const lines = host.lines(f.dir);
    assert.deepEqual(lines.slice(0, 6), [
      "files.mkdir <dir>/state",
      `files.mkdir ${S}`,
      `files.writeFile ${S}/urunc.owner`,
      `sys.open ${S}`,
      "sys.lockExclusive 100",
      `sys.mkfifo ${S}/exec.fifo`,
    ]);
    assert.ok(lines.some((l) => l.startsWith("spawn ")));
    assert.equal(lines.at(-1), `files.writeFile ${S}/ledger.jsonl`, "ledgered once it exists");
    await createContainer(host, silentLogger, f.opts, early);
    assert.equal(host.trace.filter((e) => e.what === "spawn").length, 1, "no second init");
    const state = readState(f.stateDir);
    assert.deepEqual([state.pid, state.pidStartTime, state.phase], [4242, "777", "created"]);
    assert.equal(host.sys.calls.at(-1)?.call, "close", "the lock is released");
  } finally {
    f.cleanup();
  }
});

Deno.test("create with an early init refused by validation: the init is killed and its dir removed", async () => {
  const f = fixture({ files: { "/initrd": "no kernel here\n" } });
  try {
    const host = new RecordingHost();
    const early = await startInitEarly(host, f.opts);
    assert.ok(early !== null, "config.json alone qualifies it");
    await assert.rejects(createContainer(host, silentLogger, f.opts, early), /kernel/);
    assert.equal(host.procs.state(4242, 777n), "gone");
    assert.ok(host.sys.calls.some((c) => c.call === "pidfdSignal" && c.args[1] === 9));
    nothingLeft(f);
  } finally {
    f.cleanup();
  }
});

Deno.test("a terminal container gets no early init (its pty goes to the shim once, after validation)", async () => {
  const f = fixture({ terminal: true });
  f.opts.consoleSocket = "/run/shim/console.sock";
  try {
    const host = new RecordingHost();
    assert.equal(await startInitEarly(host, f.opts), null);
    assert.deepEqual(host.lines(f.dir), []);
  } finally {
    f.cleanup();
  }
});
