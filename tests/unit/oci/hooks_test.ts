import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hookCommand, runHooks } from "../../../lib/oci/hooks.ts";
import type { HookCommand } from "../../../lib/oci/hooks.ts";
import {
  killQuietly,
  readText,
  recordingLogger,
  rejection,
  script,
  STATE,
  tempDir,
} from "./hook_helpers.ts";

Deno.test("hooks run in array order, each starting after the previous exited", async () => {
  const dir = tempDir();
  const log = join(dir, "log");
  const lock = join(dir, "lock");
  // mkdir is atomic: a second hook running at the same time would fail to take the lock.
  const hook = script(
    dir,
    "step",
    `echo "start $1" >> "${log}"
mkdir "${lock}" || { echo "overlap $1" >> "${log}"; exit 1; }
sleep 0.2
rmdir "${lock}"
echo "end $1" >> "${log}"`,
  );
  await runHooks(
    "createRuntime",
    ["1", "2", "3"].map((n) => ({ path: hook, args: [hook, n] })),
    STATE,
  );
  assert.deepEqual(readText(log).trim().split("\n"), [
    "start 1",
    "end 1",
    "start 2",
    "end 2",
    "start 3",
    "end 3",
  ]);
});

Deno.test("a hook receives exactly the state JSON on stdin, then end of file", async () => {
  const dir = tempDir();
  const out = join(dir, "stdin");
  const hook = script(dir, "cat", `cat > "$1"`);
  await runHooks("prestart", [{ path: hook, args: [hook, out] }], STATE);
  assert.equal(readText(out), STATE);
});

Deno.test("a hook whose argv[0] differs from its path also receives the state on stdin", async () => {
  const dir = tempDir();
  const out = join(dir, "stdin");
  await runHooks(
    "prestart",
    [{ path: "/bin/sh", args: ["reader", "-c", `cat > "$0"`, out] }],
    STATE,
  );
  assert.equal(readText(out), STATE);
});

Deno.test("a hook that does not read stdin still succeeds", async () => {
  const dir = tempDir();
  const hook = script(dir, "ignore", "exit 0");
  await runHooks("poststart", [{ path: hook }], STATE.padEnd(256 * 1024, " "));
});

Deno.test("without args (or with empty args) argv is [path] and there are no arguments", async () => {
  const dir = tempDir();
  const out = join(dir, "argv");
  const hook = script(dir, "argc", `echo "$# $0" >> "$OUT"`);
  await runHooks("createRuntime", [
    { path: hook, env: [`OUT=${out}`] },
    { path: hook, args: [], env: [`OUT=${out}`] },
  ], STATE);
  assert.equal(readText(out), `0 ${hook}\n0 ${hook}\n`);
});

Deno.test("args after args[0] are passed unchanged, including spaces and empty strings", async () => {
  const dir = tempDir();
  const out = join(dir, "args");
  const hook = script(dir, "args", `for a; do printf '[%s]' "$a"; done > "$OUT"`);
  await runHooks("createRuntime", [{
    path: hook,
    args: [hook, "a", "b c", "", "$HOME"],
    env: [`OUT=${out}`],
  }], STATE);
  assert.equal(readText(out), "[a][b c][][$HOME]");
});

Deno.test("args[0] becomes argv[0] even when it differs from path", async () => {
  const dir = tempDir();
  const cmdline = (name: string) => {
    const out = join(dir, name);
    return {
      out,
      // /proc/<pid>/cmdline of the shell itself shows the argv it was executed with.
      body: `tr '\\0' '\\n' < /proc/$$/cmdline > "$0"`,
    };
  };
  const renamed = cmdline("renamed");
  const same = cmdline("same");
  await runHooks("startContainer", [
    { path: "/bin/sh", args: ["renamed-sh", "-c", renamed.body, renamed.out] },
    { path: "/bin/sh", args: ["/bin/sh", "-c", same.body, same.out] },
  ], STATE);
  assert.equal(readText(renamed.out).split("\n")[0], "renamed-sh");
  assert.equal(readText(same.out).split("\n")[0], "/bin/sh");
});

Deno.test("env, when given, is the hook's whole environment; later duplicates win", async () => {
  const log = recordingLogger();
  await runHooks(
    "createRuntime",
    [
      { path: "/usr/bin/env", env: ["A=1", "B=two words", "C=x=y", "A=3"] },
      { path: "/usr/bin/env", args: ["env"], env: ["ONLY=1"] },
    ],
    STATE,
    { log },
  );
  const outputs = log.lines.filter((l) => l.includes("succeeded"));
  assert.equal(outputs.length, 2);
  assert.match(outputs[0], /ms; stdout: A=3; B=two words; C=x=y$/);
  assert.match(outputs[1], /ms; stdout: ONLY=1$/);
});

Deno.test("an explicit empty env gives an empty environment", async () => {
  const log = recordingLogger();
  await runHooks("createRuntime", [{ path: "/usr/bin/env", env: [] }], STATE, { log });
  const done = log.lines.filter((l) => l.includes("succeeded"));
  assert.equal(done.length, 1);
  assert.match(done[0], /succeeded in \d+ ms$/, "no stdout at all");
});

Deno.test("env entries without NAME= are skipped with a warning", async () => {
  const log = recordingLogger();
  await runHooks("createRuntime", [{ path: "/usr/bin/env", env: ["NOEQ", "=v", "K=v"] }], STATE, {
    log,
  });
  assert.ok(log.lines.some((l) => l.startsWith("warning: ") && l.includes("NOEQ, =v")));
  assert.match(log.lines.find((l) => l.includes("succeeded"))!, /stdout: K=v$/);
});

Deno.test("without env a hook inherits urunc's environment (as runc)", async () => {
  const dir = tempDir();
  const out = join(dir, "env");
  const hook = script(dir, "var", `echo "\${URUNC_HOOK_TEST_VAR-unset}" >> "$1"`);
  Deno.env.set("URUNC_HOOK_TEST_VAR", "inherited");
  try {
    await runHooks("poststop", [
      { path: hook, args: [hook, out] },
      { path: hook, args: [hook, out], env: ["OTHER=1"] },
    ], STATE);
  } finally {
    Deno.env.delete("URUNC_HOOK_TEST_VAR");
  }
  assert.equal(readText(out), "inherited\nunset\n");
});

Deno.test("a failing hook fails the operation with its stderr and later hooks do not run", async () => {
  const dir = tempDir();
  const marker = join(dir, "ran");
  const bad = script(
    dir,
    "bad",
    `echo "to stdout"; echo "boom" >&2; echo "  second line " >&2; exit 3`,
  );
  const later = script(dir, "later", `touch "${marker}"`);
  const msg = await rejection(runHooks("createRuntime", [{ path: bad }, { path: later }], STATE));
  assert.equal(msg, `createRuntime hook ${bad} failed: exit status 3: boom; second line`);
  assert.equal(existsSync(marker), false);
});

Deno.test("a failing hook with empty stderr is reported with its stdout", async () => {
  const dir = tempDir();
  const bad = script(dir, "bad", `echo "only stdout"; exit 4`);
  const msg = await rejection(runHooks("poststart", [{ path: bad }], STATE));
  assert.equal(msg, `poststart hook ${bad} failed: exit status 4: only stdout`);
});

Deno.test("a failing hook without output is reported with the exit status alone", async () => {
  const dir = tempDir();
  const bad = script(dir, "bad", "exit 5");
  const msg = await rejection(runHooks("poststop", [{ path: bad }], STATE));
  assert.equal(msg, `poststop hook ${bad} failed: exit status 5`);
});

Deno.test("a hook killed by a signal fails the operation naming the signal", async () => {
  const dir = tempDir();
  const bad = script(dir, "bad", "kill -TERM $$");
  const msg = await rejection(runHooks("prestart", [{ path: bad }], STATE));
  assert.equal(msg, `prestart hook ${bad} failed: killed by signal SIGTERM`);
});

Deno.test("only the last 4 KiB of a hook's output reach the error message", async () => {
  const dir = tempDir();
  const bad = script(
    dir,
    "bad",
    `i=0; while [ $i -lt 3000 ]; do echo "line $i" >&2; i=$((i+1)); done; exit 1`,
  );
  const msg = await rejection(runHooks("createContainer", [{ path: bad }], STATE));
  assert.ok(
    msg.startsWith(`createContainer hook ${bad} failed: exit status 1: …`),
    msg.slice(0, 120),
  );
  assert.ok(msg.endsWith("; line 2998; line 2999"));
  // 4 KiB of output, each newline shown as "; ": well under twice that.
  assert.ok(msg.length < 2 * 4096, `message is ${msg.length} characters`);
});

Deno.test("a hook past its timeout is killed and fails the operation", async () => {
  const dir = tempDir();
  const pidFile = join(dir, "pid");
  const marker = join(dir, "ran");
  const slow = script(dir, "slow", `echo $$ > "${pidFile}"; exec sleep 30`);
  const later = script(dir, "later", `touch "${marker}"`);
  const t0 = performance.now();
  const msg = await rejection(
    runHooks("createRuntime", [{ path: slow, timeout: 1 }, { path: later }], STATE),
  );
  const elapsed = performance.now() - t0;
  assert.equal(msg, `createRuntime hook ${slow} timed out after 1s`);
  assert.ok(elapsed < 15_000, `took ${elapsed} ms, the hook was not killed`);
  assert.equal(existsSync(`/proc/${readText(pidFile).trim()}`), false, "hook still exists");
  assert.equal(existsSync(marker), false);
});

Deno.test("defaultTimeoutMs applies to hooks without their own timeout", async () => {
  const dir = tempDir();
  const slow = script(dir, "slow", "exec sleep 30");
  const msg = await rejection(
    runHooks("poststart", [{ path: slow }], STATE, { defaultTimeoutMs: 500 }),
  );
  assert.equal(msg, `poststart hook ${slow} timed out after 0.5s`);
});

Deno.test("a hook's own timeout wins over defaultTimeoutMs", async () => {
  const dir = tempDir();
  const hook = script(dir, "nap", "sleep 0.5");
  await runHooks("poststart", [{ path: hook, timeout: 30 }], STATE, { defaultTimeoutMs: 100 });
});

Deno.test("a background process holding the hook's output pipes does not block success", async () => {
  const dir = tempDir();
  const pidFile = join(dir, "pid");
  const hook = script(dir, "daemon", `sleep 30 & echo $! > "${pidFile}"; echo started`);
  const t0 = performance.now();
  try {
    await runHooks("createRuntime", [{ path: hook }], STATE);
    assert.ok(performance.now() - t0 < 15_000, "waited for the background process");
  } finally {
    killQuietly(Number(readText(pidFile)));
  }
});

Deno.test("a timed-out hook whose child holds the pipes still fails promptly", async () => {
  const dir = tempDir();
  const pidFile = join(dir, "pid");
  const hook = script(dir, "parent", `sleep 30 & echo $! > "${pidFile}"; echo waiting >&2; wait`);
  const t0 = performance.now();
  try {
    const msg = await rejection(runHooks("createRuntime", [{ path: hook, timeout: 1 }], STATE));
    assert.equal(msg, `createRuntime hook ${hook} timed out after 1s: waiting`);
    assert.ok(performance.now() - t0 < 15_000);
  } finally {
    killQuietly(Number(readText(pidFile)));
  }
});

Deno.test("a missing executable fails with the reason and stops later hooks", async () => {
  const dir = tempDir();
  const marker = join(dir, "ran");
  const later = script(dir, "later", `touch "${marker}"`);
  const missing = join(dir, "missing");
  const msg = await rejection(runHooks("prestart", [{ path: missing }, { path: later }], STATE));
  assert.equal(
    msg,
    `prestart hook ${missing} could not be started: no such file or directory (the program or its interpreter)`,
  );
  assert.equal(existsSync(marker), false);
});

Deno.test("a missing executable with its own argv[0] fails with the same reason", async () => {
  const dir = tempDir();
  const missing = join(dir, "missing");
  const msg = await rejection(
    runHooks("prestart", [{ path: missing, args: ["other-name"] }], STATE),
  );
  assert.equal(
    msg,
    `prestart hook ${missing} could not be started: no such file or directory (the program or its interpreter)`,
  );
});

Deno.test("a script with a missing interpreter fails as not found", async () => {
  const dir = tempDir();
  const path = join(dir, "badinterp");
  Deno.writeTextFileSync(path, "#!/nonexistent/interpreter\n");
  Deno.chmodSync(path, 0o755);
  const msg = await rejection(runHooks("poststop", [{ path }], STATE));
  assert.match(msg, /could not be started: no such file or directory/);
});

Deno.test("a file that is not executable fails as permission denied", async () => {
  const dir = tempDir();
  const path = join(dir, "plain");
  Deno.writeTextFileSync(path, "#!/bin/sh\n");
  Deno.chmodSync(path, 0o644);
  for (const args of [undefined, ["other-name"]]) {
    const msg = await rejection(runHooks("poststart", [{ path, args }], STATE));
    assert.equal(
      msg,
      `poststart hook ${path} could not be started: permission denied (is it an executable file?)`,
    );
  }
});

Deno.test("a custom spawner starts every hook, in order, through cmd.spawn()", async () => {
  const dir = tempDir();
  const out = join(dir, "out");
  const hook = script(dir, "hook", `echo "$1" >> "${out}"`);
  const seen: HookCommand[] = [];
  await runHooks(
    "createContainer",
    [
      { path: hook, args: ["first-name", "a"], env: ["X=1"] },
      { path: hook, args: [hook, "b"] },
    ],
    STATE,
    {
      spawn: (cmd) => {
        seen.push(cmd);
        return cmd.spawn();
      },
    },
  );
  assert.deepEqual(
    seen.map(({ kind, path, argv, env }) => ({ kind, path, argv, env })),
    [
      { kind: "createContainer", path: hook, argv: ["first-name", "a"], env: ["X=1"] },
      { kind: "createContainer", path: hook, argv: [hook, "b"], env: null },
    ],
  );
  assert.equal(readText(out), "a\nb\n");
});

Deno.test("a spawner that throws (e.g. setns failed) fails with its message", async () => {
  const msg = await rejection(runHooks("createContainer", [{ path: "/bin/true" }], STATE, {
    spawn: () => {
      throw new Error("setns(/proc/1/ns/mnt) failed: EPERM (Operation not permitted)");
    },
  }));
  assert.equal(
    msg,
    "createContainer hook /bin/true could not be started: setns(/proc/1/ns/mnt) failed: EPERM (Operation not permitted)",
  );
});

Deno.test("no hooks: nothing is spawned", async () => {
  let calls = 0;
  await runHooks("poststop", [], STATE, {
    spawn: (cmd) => {
      calls++;
      return cmd.spawn();
    },
  });
  assert.equal(calls, 0);
});

Deno.test("hookCommand resolves argv and env as the spec and runc do", () => {
  const cases: { hook: Parameters<typeof hookCommand>[1]; argv: string[]; env: string[] | null }[] =
    [
      { hook: { path: "/h" }, argv: ["/h"], env: null },
      { hook: { path: "/h", args: [] }, argv: ["/h"], env: null },
      { hook: { path: "/h", args: ["h", "x"] }, argv: ["h", "x"], env: null },
      { hook: { path: "/h", env: [] }, argv: ["/h"], env: [] },
      { hook: { path: "/h", env: ["A=1"] }, argv: ["/h"], env: ["A=1"] },
    ];
  for (const c of cases) {
    const cmd = hookCommand("prestart", c.hook);
    assert.deepEqual(
      { argv: cmd.argv, env: cmd.env },
      { argv: c.argv, env: c.env },
      JSON.stringify(c.hook),
    );
  }
});
