import assert from "node:assert/strict";
import { CLONE } from "../../../ffi/constants.ts";
import { SyscallError } from "../../../ffi/libc.ts";
import {
  namespacesFromSpec,
  namespacesOfProcess,
  spawnInNamespaces,
} from "../../../lib/runtime/namespaces.ts";
import type { OciSpec } from "../../../lib/oci/spec.ts";
import { RecordingSyscalls } from "../../fakes/recording_syscalls.ts";

Deno.test("enter, spawn, restore: join paths, unshare the rest, spawn, then setns back", () => {
  const sys = new RecordingSyscalls();
  let spawnedAt = -1;
  const r = spawnInNamespaces(sys, [
    { type: "network", path: "/var/run/netns/pod" },
    { type: "pid" },
    { type: "mount" },
  ], () => {
    spawnedAt = sys.calls.length;
    return "child";
  });
  assert.equal(r, "child");
  const calls = sys.calls.map((c) =>
    c.call === "open"
      ? [c.call, c.args[0]]
      : c.call === "setns"
      ? [c.call, c.args[1], c.args[2]]
      : [c.call, ...c.args]
  );
  assert.deepEqual(calls.slice(0, spawnedAt), [
    ["open", "/proc/thread-self/ns/net"],
    ["open", "/var/run/netns/pod"],
    ["open", "/proc/thread-self/ns/pid"],
    ["open", "/proc/thread-self/ns/mnt"],
    ["unshare", CLONE.FS],
    ["setns", CLONE.NEWNET, "/var/run/netns/pod"],
    ["unshare", CLONE.NEWPID | CLONE.NEWNS],
  ]);
  const after = sys.calls.slice(spawnedAt).map((c) =>
    c.call === "setns" ? `setns ${c.args[2]}` : c.call === "chdir" ? `chdir ${c.args[0]}` : c.call
  );
  assert.deepEqual(after, [
    // mount first: the others' restore fds were opened before any switch
    "setns own mount namespace",
    "setns own pid namespace",
    "setns own network namespace",
    `chdir ${Deno.cwd()}`,
    "close",
    "close",
    "close",
    "close",
  ]);
});

Deno.test("enter, spawn, restore: the thread is restored even when spawn throws", () => {
  const sys = new RecordingSyscalls();
  assert.throws(() =>
    spawnInNamespaces(sys, [{ type: "uts" }], () => {
      throw new Error("spawn failed");
    }), /spawn failed/);
  assert.deepEqual(sys.names(), ["open", "unshare", "setns", "close"]);
});

Deno.test("enter, spawn, restore: a failing unshare still restores and never spawns", () => {
  const sys = new RecordingSyscalls({
    failOn: (call) => call === "unshare" ? new SyscallError("unshare", 1) : null,
  });
  let spawned = false;
  assert.throws(
    () => spawnInNamespaces(sys, [{ type: "ipc" }], () => (spawned = true)),
    /unshare failed: EPERM/,
  );
  assert.equal(spawned, false);
  assert.ok(sys.names().includes("setns"), "the thread went back to its own namespace");
});

Deno.test("enter, spawn, restore: every namespace is restored even if one restore fails, then the process ends", () => {
  const sys = new RecordingSyscalls({
    failOn: (call, args) =>
      call === "setns" && args[2] === "own ipc namespace" ? new SyscallError("setns", 22) : null,
  });
  const lost = (err: Error): never => {
    throw new Error(`process ended: ${err.message}`);
  };
  assert.throws(
    () => spawnInNamespaces(sys, [{ type: "ipc" }, { type: "uts" }], () => "child", lost),
    /process ended: cannot return to urunc's own namespaces: setns failed: EINVAL/,
  );
  const restores = sys.calls.filter((c) => c.call === "setns").map((c) => c.args[2]);
  assert.deepEqual(restores, ["own uts namespace", "own ipc namespace"]);
});

Deno.test("no namespaces: spawn directly, no syscalls", () => {
  const sys = new RecordingSyscalls();
  assert.equal(spawnInNamespaces(sys, [], () => 7), 7);
  assert.deepEqual(sys.calls, []);
});

Deno.test("the namespaces of a running process are joined by /proc path", () => {
  assert.deepEqual(namespacesOfProcess(42, [{ type: "network", path: "/x" }, { type: "mount" }]), [
    { type: "network", path: "/proc/42/ns/net" },
    { type: "mount", path: "/proc/42/ns/mnt" },
  ]);
});

Deno.test("a network namespace path that is the caller's own netns is host networking: left out", () => {
  const own = Deno.makeTempFileSync({ prefix: "urunc-own-netns-" });
  const other = Deno.makeTempFileSync({ prefix: "urunc-pod-netns-" });
  try {
    const spec = (netPath: string) =>
      ({
        linux: { namespaces: [{ type: "mount" }, { type: "network", path: netPath }] },
      }) as unknown as OciSpec;
    const net = () => CLONE.NEWNET; // the temp files stand in for network namespaces
    assert.deepEqual(namespacesFromSpec(spec(own), own, net), [{ type: "mount" }]);
    assert.deepEqual(namespacesFromSpec(spec(other), own, net), [
      { type: "network", path: other },
      { type: "mount" },
    ]);
    // By default "own" is the calling thread's netns, whatever path names it.
    assert.deepEqual(namespacesFromSpec(spec("/proc/self/ns/net")), [{ type: "mount" }]);
  } finally {
    Deno.removeSync(own);
    Deno.removeSync(other);
  }
});

Deno.test("a namespace path must be a namespace of that type: FIFOs and other files are refused, never opened", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const fifo = `${dir}/fifo`;
    new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    Deno.writeTextFileSync(`${dir}/plain`, "");
    const spec = (type: string, path: string) =>
      ({ linux: { namespaces: [{ type: "mount" }, { type, path }] } }) as unknown as OciSpec;
    const cases: [string, string, RegExp][] = [
      [
        "network",
        fifo,
        /network namespace path \S+\/fifo: expected a namespace file, found a FIFO$/,
      ],
      ["network", `${dir}/plain`, /found a regular file that is not a namespace file/],
      ["network", "/proc/self/ns/mnt", /this is a mount namespace, not a network namespace/],
      ["ipc", `${dir}/missing`, /ipc namespace path \S+: expected a namespace file, found nothing/],
    ];
    for (const [type, path, want] of cases) {
      assert.throws(() => namespacesFromSpec(spec(type, path)), want);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
