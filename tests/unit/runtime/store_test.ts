import assert from "node:assert/strict";
import { join } from "node:path";
import {
  appendLedger,
  createContainerDir,
  LEDGER_FILE,
  lookupContainer,
  readLedger,
  writeFileAtomic,
  writePidFile,
} from "../../../lib/runtime/store.ts";

function tmp(): string {
  return Deno.makeTempDirSync({ prefix: "urunc-store-" });
}

Deno.test("pid file is the decimal pid without a newline", () => {
  const d = tmp();
  writePidFile(join(d, "init.pid"), 2904);
  assert.equal(Deno.readTextFileSync(join(d, "init.pid")), "2904");
  assert.deepEqual([...Deno.readDirSync(d)].map((e) => e.name), ["init.pid"]); // no temp file left
  Deno.removeSync(d, { recursive: true });
});

Deno.test("atomic write replaces the whole file", () => {
  const d = tmp();
  const p = join(d, "f");
  writeFileAtomic(p, "a".repeat(1000));
  writeFileAtomic(p, "short");
  assert.equal(Deno.readTextFileSync(p), "short");
  Deno.removeSync(d, { recursive: true });
});

Deno.test("an existing container id is refused", () => {
  const root = tmp();
  createContainerDir(root, "c1");
  assert.throws(() => createContainerDir(root, "c1"), /container c1 already exists/);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("state written by another runtime is foreign, a missing one is missing", () => {
  const root = tmp();
  Deno.mkdirSync(join(root, "runc1"));
  Deno.writeTextFileSync(
    join(root, "runc1", "state.json"),
    JSON.stringify({ id: "runc1", init_process_pid: 5 }),
  );
  assert.equal(lookupContainer(root, "runc1").kind, "foreign");
  assert.equal(lookupContainer(root, "nope").kind, "missing");
  Deno.removeSync(root, { recursive: true });
});

Deno.test("ledger keeps order and ignores a line torn by a crash", () => {
  const d = tmp();
  appendLedger(d, { kind: "process", pid: 1, startTime: "2" });
  appendLedger(d, { kind: "path", path: "/r/dev", type: "dir" });
  Deno.writeTextFileSync(join(d, LEDGER_FILE), '{"kind":"pa', { append: true });
  assert.deepEqual(readLedger(d), [
    { kind: "process", pid: 1, startTime: "2" },
    { kind: "path", path: "/r/dev", type: "dir" },
  ]);
  Deno.removeSync(d, { recursive: true });
});

Deno.test("reading the ledger of a container that has none gives nothing", () => {
  const d = tmp();
  assert.deepEqual(readLedger(d), []);
  Deno.removeSync(d, { recursive: true });
});
