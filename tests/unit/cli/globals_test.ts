import assert from "node:assert/strict";
import { COMMANDS, DEFAULT_ROOT, loadCommand, parseGlobals } from "../../../lib/cli/dispatch.ts";
import { parseSignal } from "../../../lib/cli/kill.ts";

Deno.test("global flags as the shim passes them", () => {
  const r = parseGlobals([
    "--root",
    "/run/containerd/runc/default",
    "--log",
    "/b/log.json",
    "--log-format",
    "json",
    "--systemd-cgroup",
    "create",
    "--bundle",
    "/b",
    "c1",
  ]);
  assert.equal(r.globals.root, "/run/containerd/runc/default");
  assert.equal(r.globals.log, "/b/log.json");
  assert.equal(r.globals.logFormat, "json");
  assert.equal(r.command, "create");
  assert.deepEqual(r.rest, ["--bundle", "/b", "c1"]);
  assert.equal(r.globals.systemdCgroup, true);
  assert.equal(parseGlobals(["state", "x"]).globals.systemdCgroup, false);
  assert.equal(parseGlobals(["--systemd-cgroup=false", "state", "x"]).globals.systemdCgroup, false);
  assert.equal(parseGlobals(["--debug", "state", "x"]).globals.systemdCgroup, false);
});

for (
  const [argv, runc] of [
    [["--config", "/c.toml", "create", "x"], ["create", "x"]],
    [["--config=/c.toml", "--debug", "delete", "--force", "x"], [
      "--debug",
      "delete",
      "--force",
      "x",
    ]],
    [["--root", "/r", "-config", "/c", "--log=/l", "state", "x"], [
      "--root",
      "/r",
      "--log=/l",
      "state",
      "x",
    ]],
    [["--systemd-cgroup", "--criu", "c", "--", "kill", "--config", "x"], [
      "--systemd-cgroup",
      "--criu",
      "c",
      "--",
      "kill",
      "--config",
      "x",
    ]],
  ]
) {
  Deno.test(`runc gets ${JSON.stringify(argv)} as ${JSON.stringify(runc)}`, () => {
    assert.deepEqual(parseGlobals(argv).runcArgv, runc);
  });
}

Deno.test("global flags with = values and defaults", () => {
  const r = parseGlobals(["--root=/tmp/x/", "--rootless=auto", "--debug", "state", "c"]);
  assert.equal(r.globals.root, "/tmp/x");
  assert.equal(r.globals.debug, true);
  assert.equal(parseGlobals(["list"]).globals.root, DEFAULT_ROOT);
});

const badGlobals: [string[], RegExp][] = [
  [["--bogus", "list"], /unknown global flag "--bogus"/],
  [["--log-format", "xml", "list"], /invalid --log-format "xml"/],
  [["--root", "/", "list"], /--root must not be \//],
  [["--root"], /--root needs a value/],
  [["--debug=maybe", "list"], /expected true or false/],
];
for (const [argv, re] of badGlobals) {
  Deno.test(`bad global flags ${argv.join(" ")} are a usage error`, () => {
    assert.throws(() => parseGlobals(argv), re);
  });
}

const signals: [string, number][] = [
  ["9", 9],
  ["KILL", 9],
  ["SIGKILL", 9],
  ["sigterm", 15],
  ["TERM", 15],
  ["HUP", 1],
  [
    "64",
    64,
  ],
];
for (const [s, n] of signals) {
  Deno.test(`signal ${s} is ${n}`, () => assert.equal(parseSignal(s), n));
}
for (const s of ["0", "65", "SIGFOO", "-9", "", "9x"]) {
  Deno.test(`signal ${JSON.stringify(s)} is refused`, () =>
    assert.throws(() => parseSignal(s), /invalid signal/));
}

Deno.test("every command's module loads and exports main", async () => {
  for (const [name, entry] of Object.entries(COMMANDS)) {
    assert.equal(typeof await loadCommand(entry), "function", name);
  }
});
