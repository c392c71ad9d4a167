import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type OciState,
  ociState,
  parseProcStat,
  processState,
  procStartTime,
  rfc3339Nano,
  serializeState,
} from "../../../lib/oci/state.ts";
import { killQuietly, tempDir } from "./hook_helpers.ts";

const input = {
  ociVersion: "1.2.0",
  id: "c1",
  pid: 1234,
  status: "running" as const,
  bundle: "/b",
  rootfs: "/b/rootfs",
  created: "2024-05-01T10:20:30.123456789Z",
  annotations: { k: "v" },
};

Deno.test("serializeState writes compact JSON in runc's key order, whatever the object's order", () => {
  const shuffled: OciState = {
    annotations: { k: "v" },
    owner: "",
    created: "2024-05-01T10:20:30Z",
    rootfs: "/b/rootfs",
    bundle: "/b",
    status: "created",
    pid: 7,
    id: "c1",
    ociVersion: "1.2.0",
  };
  assert.equal(
    serializeState(shuffled),
    '{"ociVersion":"1.2.0","id":"c1","pid":7,"status":"created","bundle":"/b",' +
      '"rootfs":"/b/rootfs","created":"2024-05-01T10:20:30Z","owner":"","annotations":{"k":"v"}}',
  );
});

Deno.test("ociState fills owner, keeps a formatted created as given and copies annotations", () => {
  const annotations = { k: "v" };
  const s = ociState({ ...input, annotations });
  annotations.k = "changed later";
  assert.deepEqual(s, {
    ociVersion: "1.2.0",
    id: "c1",
    pid: 1234,
    status: "running",
    bundle: "/b",
    rootfs: "/b/rootfs",
    created: "2024-05-01T10:20:30.123456789Z",
    owner: "",
    annotations: { k: "v" },
  });
});

Deno.test("ociState reports pid 0 for a stopped container and {} without annotations", () => {
  const s = ociState({ ...input, status: "stopped", annotations: undefined });
  assert.equal(s.pid, 0);
  assert.deepEqual(s.annotations, {});
  assert.equal(ociState({ ...input, status: "created" }).pid, 1234);
});

Deno.test("ociState formats a Date as Go's RFC3339Nano in UTC", () => {
  const s = ociState({ ...input, created: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 600)) });
  assert.equal(s.created, "2024-01-02T03:04:05.6Z");
});

Deno.test("rfc3339Nano trims trailing fractional zeros and drops a zero fraction", () => {
  const cases: [string, string][] = [
    ["2024-05-01T10:20:30.000Z", "2024-05-01T10:20:30Z"],
    ["2024-05-01T10:20:30.100Z", "2024-05-01T10:20:30.1Z"],
    ["2024-05-01T10:20:30.120Z", "2024-05-01T10:20:30.12Z"],
    ["2024-05-01T10:20:30.123Z", "2024-05-01T10:20:30.123Z"],
    ["2024-05-01T12:20:30.5+02:00", "2024-05-01T10:20:30.5Z"],
  ];
  for (const [iso, want] of cases) assert.equal(rfc3339Nano(new Date(iso)), want, iso);
});

/** A /proc/<pid>/stat line with `comm`, `state` and starttime (field 22) set. */
function statLine(comm: string, state: string, start: string): string {
  const after = [state, ...Array.from({ length: 18 }, (_, i) => String(i + 4)), start];
  const tail = Array.from({ length: 30 }, (_, i) => String(i + 23));
  return `4242 (${comm}) ${[...after, ...tail].join(" ")}\n`;
}

Deno.test("parseProcStat finds state and starttime whatever the comm contains", () => {
  const comms = ["sleep", "a b", "a) b", ") R 1 2 3 (", "((x))", "x) Z 99 99", ""];
  for (const comm of comms) {
    assert.deepEqual(parseProcStat(statLine(comm, "S", "987654321")), {
      state: "S",
      startTime: 987654321n,
    }, JSON.stringify(comm));
  }
  // A start time beyond 2^53 must survive (bigint, not number).
  assert.equal(
    parseProcStat(statLine("big", "R", "18446744073709551615"))?.startTime,
    2n ** 64n - 1n,
  );
});

Deno.test("parseProcStat rejects text that is not a stat line", () => {
  for (const text of ["", "4242 sleep S 1", "4242 (sleep) S 1 2 3", statLine("x", "S", "12ab")]) {
    assert.equal(parseProcStat(text), null, JSON.stringify(text));
  }
});

Deno.test("procStartTime is null for pids that cannot exist", () => {
  for (const pid of [0, -1, 1.5, NaN, 0x7fffffff]) {
    assert.equal(procStartTime(pid), null, String(pid));
  }
});

Deno.test("procStartTime reads a live process whose comm has spaces and parentheses", async () => {
  const dir = tempDir();
  // The kernel keeps the executable's basename (up to 15 bytes) as comm.
  const evil = join(dir, "a) R 9 (b");
  Deno.copyFileSync("/bin/sleep", evil);
  Deno.chmodSync(evil, 0o755);
  const mine = procStartTime(Deno.pid);
  assert.notEqual(mine, null);
  const child = new Deno.Command(evil, { args: ["30"], stdout: "null", stderr: "null" }).spawn();
  try {
    assert.match(
      Deno.readTextFileSync(`/proc/${child.pid}/stat`),
      /^\d+ \(a\) R 9 \(b\) [A-Za-z] /,
    );
    const start = procStartTime(child.pid);
    const later = new Deno.Command("/bin/true").spawn();
    const laterStart = procStartTime(later.pid);
    await later.status;
    assert.ok(start !== null && laterStart !== null);
    // Started after this test process and no later than a process started after it.
    assert.ok(mine! <= start && start <= laterStart, `${mine} <= ${start} <= ${laterStart}`);
    assert.equal(processState(child.pid, start), "alive");
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
});

Deno.test("processState: alive with the right start time, gone with another (pid reuse)", () => {
  const start = procStartTime(Deno.pid)!;
  assert.equal(processState(Deno.pid, start), "alive");
  assert.equal(processState(Deno.pid, start + 1n), "gone");
  assert.equal(processState(Deno.pid, 0n), "gone");
});

Deno.test("processState: gone once the process exited and was reaped", async () => {
  const child = new Deno.Command("/bin/sleep", { args: ["30"] }).spawn();
  const start = procStartTime(child.pid)!;
  assert.equal(processState(child.pid, start), "alive");
  child.kill("SIGKILL");
  await child.status;
  assert.equal(processState(child.pid, start), "gone");
});

/** Poll `done` every 10 ms; fail after a generous 10 s. */
async function eventually(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("processState: a zombie is reported as zombie", async () => {
  // sh starts a background `read` on our stdin pipe, then becomes `sleep 30` by
  // exec. sleep never reaps, so once we close the pipe the `read` exits and
  // stays a zombie. (It must not exit before the exec: sh could reap it.)
  const parent = new Deno.Command("/bin/sh", {
    args: ["-c", "exec 3<&0; read _ <&3 & echo $!; exec sleep 30"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = parent.stdout.getReader();
  try {
    const { value } = await reader.read();
    const pid = Number(new TextDecoder().decode(value).trim());
    const start = procStartTime(pid);
    assert.notEqual(start, null);
    await eventually(
      "sh has become sleep",
      () => Deno.readTextFileSync(`/proc/${parent.pid}/comm`).trim() === "sleep",
    );
    assert.equal(processState(pid, start!), "alive");
    await parent.stdin.close();
    await eventually("the reader is a zombie", () => processState(pid, start!) === "zombie");
  } finally {
    await reader.cancel();
    killQuietly(parent.pid);
    await parent.status;
  }
});
