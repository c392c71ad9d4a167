// create starts the init before it validates the bundle (lib/runtime/early_init.ts): a
// bundle refused afterwards must take that init and its state dir with it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot } from "../helpers/subreaper.ts";
import { lastLogError, sh, testGlobals, urunc } from "../helpers/urunc.ts";

interface SpecToEdit {
  process: { user: { uid: number } };
  annotations: Record<string, string>;
}

const REFUSED_LATER: [what: string, edit: (spec: SpecToEdit) => void, error: RegExp][] = [
  [
    "a field the schema refuses",
    (s) => (s.process.user.uid = -1),
    /field "process\.user\.uid"/,
  ],
  [
    "a monitor the host config does not have",
    (s) => (s.annotations["com.urunc.unikernel.hypervisor"] = "firecracker"),
    /firecracker/,
  ],
];

for (const [what, edit, error] of REFUSED_LATER) {
  Deno.test({
    name: `early init: ${what} removes the init started before validation`,
    ignore: !isRoot(),
    async fn() {
      becomeSubreaper();
      const dir = Deno.makeTempDirSync({ prefix: "urunc-early-" });
      try {
        const g = testGlobals(dir, writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR));
        const bundle = makeBundle(join(dir, "b"), { annotations: LINUX_QEMU });
        const spec = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
        edit(spec);
        Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec));
        const r = await urunc([...g, "--debug", "create", "--bundle", bundle, "e1"]);
        assert.notEqual(r.code, 0);
        const log = Deno.readTextFileSync(join(dir, "log.json"));
        const started = /init pid (\d+) started before validation/.exec(log);
        assert.ok(started, "the init was started before validation");
        assert.match(lastLogError(join(dir, "log.json")) ?? "", error);
        assert.deepEqual([...Deno.readDirSync(join(dir, "state"))], [], "no state dir left");
        const alive = sh(["ps", "-o", "stat=", "-p", started[1]]).out.trim();
        assert.ok(alive === "" || alive.startsWith("Z"), `init ${started[1]} is gone (${alive})`);
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}
