import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createContainerDir,
  lookupContainer,
  OWNER_MARKER,
  STATE_FILE,
  writeFileAtomic,
  writePidFile,
} from "../../../lib/runtime/store.ts";
import { appendLedger, LEDGER_FILE, readLedger } from "../../../lib/ledger.ts";

import { config } from "../plan/helpers.ts";
import { realHost } from "../../../lib/host/host.ts";

const files = realHost().files;

function tmp(): string {
  return Deno.makeTempDirSync({ prefix: "urunc-store-" });
}

Deno.test("pid file is the decimal pid without a newline", () => {
  const d = tmp();
  writePidFile(files, join(d, "init.pid"), 2904);
  assert.equal(Deno.readTextFileSync(join(d, "init.pid")), "2904");
  assert.deepEqual([...Deno.readDirSync(d)].map((e) => e.name), ["init.pid"]); // no temp file left
  Deno.removeSync(d, { recursive: true });
});

Deno.test("atomic write replaces the whole file", () => {
  const d = tmp();
  const p = join(d, "f");
  writeFileAtomic(files, p, "a".repeat(1000));
  writeFileAtomic(files, p, "short");
  assert.equal(Deno.readTextFileSync(p), "short");
  Deno.removeSync(d, { recursive: true });
});

Deno.test("an existing container id is refused", () => {
  const root = tmp();
  createContainerDir(files, root, "c1");
  assert.throws(() => createContainerDir(files, root, "c1"), /container c1 already exists/);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("state written by another runtime is foreign, a missing one is missing", () => {
  const root = tmp();
  Deno.mkdirSync(join(root, "runc1"));
  Deno.writeTextFileSync(
    join(root, "runc1", "state.json"),
    JSON.stringify({ id: "runc1", init_process_pid: 5 }),
  );
  assert.equal(lookupContainer(files, root, "runc1").kind, "foreign");
  assert.equal(lookupContainer(files, root, "nope").kind, "missing");
  Deno.removeSync(root, { recursive: true });
});

Deno.test("ledger keeps order and ignores a line torn by a crash", () => {
  const d = tmp();
  appendLedger(files, d, { kind: "process", pid: 1, startTime: "2" });
  appendLedger(files, d, { kind: "path", path: "/r/dev", type: "dir" });
  Deno.writeTextFileSync(join(d, LEDGER_FILE), '{"kind":"pa', { append: true });
  assert.deepEqual(readLedger(files, d), {
    resources: [
      { kind: "process", pid: 1, startTime: "2" },
      { kind: "path", path: "/r/dev", type: "dir" },
    ],
    damaged: [],
  });
  Deno.removeSync(d, { recursive: true });
});

Deno.test("reading the ledger of a container that has none gives nothing", () => {
  const d = tmp();
  assert.deepEqual(readLedger(files, d), { resources: [], damaged: [] });
  Deno.removeSync(d, { recursive: true });
});

const VALID_STATE = {
  urunc: 1,
  ociVersion: "1.0.2",
  id: "c1",
  bundle: "/b",
  rootfs: "/b/rootfs",
  created: "2026-01-01T00:00:00Z",
  pid: 42,
  pidStartTime: "123",
  phase: "created",
  annotations: {},
  config: config({ unikernelType: "linux", binary: "/kernel" }),

  namespaces: [{ type: "mount" }, { type: "network", path: "/var/run/netns/x" }],
  terminal: false,
  hooks: { poststop: [{ path: "/bin/true" }] },
};

Deno.test("ours is told by the marker runc never writes, not by whether state.json parses", () => {
  const root = tmp();
  const cases: [string, boolean, string | null, string][] = [
    // [id, marker, state.json content (null: none), expected kind]
    ["good", true, JSON.stringify(VALID_STATE), "ours"],
    ["legacy", false, JSON.stringify(VALID_STATE), "ours"],
    ["garbage", true, "{not json", "damaged"],
    ["never-written", true, null, "damaged"],
    ["null", true, "null", "damaged"],
    ["bad-start-time", true, JSON.stringify({ ...VALID_STATE, pidStartTime: "soon" }), "damaged"],
    ["bad-hook", true, JSON.stringify({ ...VALID_STATE, hooks: { poststop: [{}] } }), "damaged"],
    [
      "bad-config",
      true,
      JSON.stringify({ ...VALID_STATE, config: { unikernelType: "x" } }),
      "damaged",
    ],
    ["runc-garbage", false, "{not json", "foreign"],
    ["runc", false, JSON.stringify({ id: "runc", init_process_pid: 5 }), "foreign"],
  ];
  for (const [id, marker, text] of cases) {
    Deno.mkdirSync(join(root, id));
    if (marker) Deno.writeTextFileSync(join(root, id, OWNER_MARKER), "1\n");
    if (text !== null) Deno.writeTextFileSync(join(root, id, STATE_FILE), text);
  }
  for (const [id, , , kind] of cases) assert.equal(lookupContainer(files, root, id).kind, kind, id);
  const d = lookupContainer(files, root, "bad-start-time");
  assert.ok(d.kind === "damaged" && /field "pidStartTime"/.test(d.problem), JSON.stringify(d));
  Deno.removeSync(root, { recursive: true });
});

Deno.test("create writes the marker first", () => {
  const root = tmp();
  const dir = createContainerDir(files, root, "c1");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [OWNER_MARKER]);
  assert.equal(lookupContainer(files, root, "c1").kind, "damaged");
  Deno.removeSync(root, { recursive: true });
});

Deno.test("ledger lines are validated: damaged ones are reported, good ones kept", () => {
  const d = tmp();
  Deno.writeTextFileSync(
    join(d, LEDGER_FILE),
    [
      '{"kind":"process","pid":7,"startTime":"9"}',
      "null",
      '{"kind":"process","pid":"7","startTime":"9"}',
      '{"kind":"path","path":"/r/../etc","type":"dir"}',
      '{"kind":"bomb"}',
      "{oops",
      '{"kind":"net","netnsPath":null,"resource":{"kind":"tap","name":"t","alias":"a"}}',
      '{"kind":"pa',
    ].join("\n"),
  );
  const l = readLedger(files, d);
  assert.deepEqual(l.resources, [
    { kind: "process", pid: 7, startTime: "9" },
    { kind: "net", netnsPath: null, resource: { kind: "tap", name: "t", alias: "a" } },
  ]);
  assert.deepEqual(l.damaged, [
    "ledger.jsonl line 2: not a JSON object",
    'ledger.jsonl line 3: field "pid" is missing or invalid',
    'ledger.jsonl line 4: field "path" is missing or invalid',
    'ledger.jsonl line 5: unknown kind "bomb"',
    "ledger.jsonl line 6 is not JSON",
  ]);
  Deno.removeSync(d, { recursive: true });
});
