// Damaged state never makes a container undeletable or `list` fail: urunc tells
// its containers from runc's by a marker runc never writes, reports what is
// damaged, and `delete --force` kills what the ledger proves is ours.
import assert from "node:assert/strict";
import { join } from "node:path";
import { create, globals, ready, safeReadDir, setup } from "../helpers/lifecycle.ts";
import { becomeSubreaper, reap } from "../helpers/subreaper.ts";
import { lastLogError, urunc } from "../helpers/urunc.ts";
import { STATE_FILE } from "../../lib/runtime/store.ts";
import { LEDGER_FILE } from "../../lib/ledger.ts";

const damages: [string, (dir: string) => void, RegExp][] = [
  [
    "garbage state.json",
    (d) => Deno.writeTextFileSync(join(d, STATE_FILE), "\u0000garbage{"),
    /state\.json is not JSON/,
  ],
  [
    "state.json whose pidStartTime is not a number",
    (d) => {
      const s = JSON.parse(Deno.readTextFileSync(join(d, STATE_FILE)));
      Deno.writeTextFileSync(join(d, STATE_FILE), JSON.stringify({ ...s, pidStartTime: "x" }));
    },
    /field "pidStartTime"/,
  ],
  ["no state.json at all", (d) => Deno.removeSync(join(d, STATE_FILE)), /never written/],
];

for (const [name, damage, problem] of damages) {
  Deno.test({
    name:
      `damaged state: ${name}: list skips it, state reports it, delete --force kills and removes`,
    ignore: !ready,
    async fn() {
      becomeSubreaper();
      const e = setup("damaged", { args: ["/init", "fake:sleep"] });
      try {
        for (const id of ["bad", "good"]) {
          const c = await create(e, id);
          assert.equal(c.code, 0, lastLogError(e.log) ?? "");
        }
        const pid = JSON.parse(Deno.readTextFileSync(join(e.root, "bad", STATE_FILE))).pid;
        damage(join(e.root, "bad"));

        const list = await urunc(globals(e, ["list", "--format", "json"]));
        assert.equal(list.code, 0, list.stderr);
        assert.deepEqual(JSON.parse(list.stdout).map((r: { id: string }) => r.id), ["good"]);

        const st = await urunc(globals(e, ["state", "bad"]));
        assert.notEqual(st.code, 0);
        assert.match(lastLogError(e.log)!, problem);
        assert.match(lastLogError(e.log)!, /"delete --force bad" removes it/);
        assert.notEqual(
          (await urunc(globals(e, ["delete", "bad"]))).code,
          0,
          "not without --force",
        );

        const d = await urunc(globals(e, ["delete", "--force", "bad"]));
        assert.equal(d.code, 0, lastLogError(e.log) ?? "");
        assert.equal(await reap(pid), 137, "the init child the ledger names was killed");
        assert.deepEqual(safeReadDir(e.root), ["good"]);
      } finally {
        await e.cleanup();
      }
    },
  });
}

Deno.test({
  name: "damaged ledger: a null line is reported and delete --force still finishes",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = setup("damaged-ledger", { args: ["/init", "fake:sleep"] });
    try {
      const c = await create(e, "l1");
      assert.equal(c.code, 0, lastLogError(e.log) ?? "");
      const pid = JSON.parse(Deno.readTextFileSync(join(e.root, "l1", STATE_FILE))).pid;
      Deno.writeTextFileSync(join(e.root, "l1", LEDGER_FILE), "null\n{]\n", { append: true });
      const d = await urunc(globals(e, ["delete", "--force", "l1"]));
      assert.equal(d.code, 0, lastLogError(e.log) ?? "");
      assert.equal(await reap(pid), 137);
      assert.deepEqual(safeReadDir(e.root), []);
      const log = Deno.readTextFileSync(e.log);
      assert.match(log, /ledger\.jsonl line \d+: not a JSON object: skipped/);
      assert.match(log, /ledger\.jsonl line \d+ is not JSON: skipped/);
    } finally {
      await e.cleanup();
    }
  },
});
