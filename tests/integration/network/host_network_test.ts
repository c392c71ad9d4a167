// Host networking however the spec says it (no network namespace, or a path to
// the caller's own one, as `docker run --network host` does): urunc creates no
// tap and touches no qdisc or filter there. A throwaway netns plays the host.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_NAMESPACES } from "../../helpers/bundle.ts";
import { globals, parseReport, readAll, ready, setup } from "../../helpers/lifecycle.ts";
import { becomeSubreaper, reap } from "../../helpers/subreaper.ts";
import { lastLogError, urunc, uruncCommand } from "../../helpers/urunc.ts";
import { Pod } from "./helpers.ts";

const HOST_LINE =
  "shares the host network namespace: urunc does not wire host interfaces into the VM, so it runs without network";

for (const how of ["a path to the caller's own netns", "no network namespace"] as const) {
  Deno.test({
    name: `host network (${how}): no tap, no tc object, the VM runs without network`,
    ignore: !ready,
    async fn() {
      becomeSubreaper();
      const host = new Pod();
      try {
        const before = host.observe();
        const namespaces = how === "no network namespace"
          ? DEFAULT_NAMESPACES.filter((n) => n.type !== "network")
          : DEFAULT_NAMESPACES.map((n) =>
            n.type === "network" ? { type: n.type, path: host.path } : n
          );
        const e = setup("hostnet", { args: ["/init", "fake:exit=0"], namespaces });
        try {
          // urunc runs inside the namespace that plays the host, as the shim would on a node.
          const [cmd, ...args] = uruncCommand(
            globals(e, ["create", "--bundle", e.bundle, "--pid-file", join(e.dir, "pid"), "h1"]),
          );
          const create = new Deno.Command("ip", {
            args: ["netns", "exec", host.ns, cmd, ...args],
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          assert.equal((await create.status).code, 0, `create failed: ${lastLogError(e.log)}`);
          const pid = Number(Deno.readTextFileSync(join(e.dir, "pid")));
          const s = await urunc(globals(e, ["start", "h1"]));
          assert.equal(s.code, 0, `start failed: ${lastLogError(e.log)}`);
          const report = parseReport(await readAll(create.stdout));
          await create.stderr.cancel();
          assert.equal(await reap(pid), 0);
          assert.ok(!report.argv.some((a) => a.includes("tap")), report.argv.join(" "));
          assert.deepEqual(host.observe(), before, "the host netns is untouched");
          const lines = Deno.readTextFileSync(e.log).split("\n").filter((l) =>
            l.includes(HOST_LINE)
          );
          assert.equal(lines.length, 1, "the log says so in one line");
          assert.equal((await urunc(globals(e, ["delete", "h1"]))).code, 0);
          assert.deepEqual(host.observe(), before);
        } finally {
          await e.cleanup();
        }
      } finally {
        host.destroy();
      }
    },
  });
}
