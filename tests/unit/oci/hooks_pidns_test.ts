// The createContainer case: the caller's spawner enters a PID namespace on the
// main thread, starts the hook and restores, all synchronously. While the new
// PID namespace is pending the main thread cannot create threads (DESIGN.md §2),
// so this proves the hook start (piped stdio included) creates none and that
// all I/O with the hook works once back. Needs root for unshare(CLONE_NEWPID).

import assert from "node:assert/strict";
import { join } from "node:path";
import { CLONE, O } from "../../../ffi/constants.ts";
import { realSyscalls } from "../../../ffi/syscalls.ts";
import { type HookSpawner, runHooks } from "../../../lib/oci/hooks.ts";
import { readText, script, STATE, tempDir } from "./hook_helpers.ts";

const isRoot = Deno.uid() === 0;

function threadCount(): number {
  return [...Deno.readDirSync("/proc/self/task")].length;
}

/** unshare(CLONE_NEWPID) → cmd.spawn() → setns back, noting the thread count inside. */
function inNewPidNamespace(threadsInside: number[]): HookSpawner {
  const sys = realSyscalls();
  return (cmd) => {
    const own = sys.open("/proc/thread-self/ns/pid_for_children", O.RDONLY);
    try {
      sys.unshare(CLONE.NEWPID);
      try {
        const proc = cmd.spawn();
        threadsInside.push(threadCount());
        return proc;
      } finally {
        sys.setns(own, CLONE.NEWPID, "own pid namespace");
      }
    } finally {
      sys.close(own);
    }
  };
}

Deno.test({
  name: "hooks started inside a pending PID namespace are its PID 1 and get the state on stdin",
  ignore: !isRoot,
  async fn() {
    const dir = tempDir();
    const out = (n: string) => join(dir, n);
    const hook = script(dir, "hook", `echo $$ > "$1"; cat > "$2"`);
    const before = Deno.readLinkSync("/proc/thread-self/ns/pid_for_children");
    const threadsBefore = threadCount();
    const inside: number[] = [];
    await runHooks(
      "createContainer",
      [
        // Deno.Command path (argv[0] = path) and node:child_process path (argv[0] differs).
        { path: hook, args: [hook, out("pid1"), out("state1")] },
        {
          path: "/bin/sh",
          args: ["in-pidns", "-c", `echo $$ > "$0"; cat > "$1"`, out("pid2"), out("state2")],
        },
      ],
      STATE,
      { spawn: inNewPidNamespace(inside) },
    );
    assert.equal(readText(out("pid1")).trim(), "1");
    assert.equal(readText(out("pid2")).trim(), "1");
    assert.equal(readText(out("state1")), STATE);
    assert.equal(readText(out("state2")), STATE);
    assert.deepEqual(inside, [threadsBefore, threadsBefore], "no thread was created while inside");
    assert.equal(Deno.readLinkSync("/proc/thread-self/ns/pid_for_children"), before);
  },
});
