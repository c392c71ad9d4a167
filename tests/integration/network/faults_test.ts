// A failure at each step of setup, and a crash (SIGKILL) at each step: after
// rollback / after `delete` cleans the ledger, nothing of ours remains.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { withNetns } from "../../../ffi/netns.ts";
import { openRtnl } from "../../../ffi/netlink/rtnl.ts";
import { realTun } from "../../../ffi/tun.ts";
import {
  cleanupNetwork,
  type NetResource,
  NetworkSetupError,
  setupNetwork,
} from "../../../lib/host/network/mod.ts";
import { faulty, InjectedFault, IS_ROOT, type Pod, SETUP_MUTATIONS, withPod } from "./helpers.ts";

const test = (name: string, fn: () => void) => Deno.test({ name, ignore: !IS_ROOT, fn });

function assertNothingOurs(pod: Pod, what: string) {
  const o = pod.observe();
  assert.deepEqual([o.links, o.ingress, o.filters], [["eth0", "lo"], [], {}], what);
}

test("a successful setup makes exactly SETUP_MUTATIONS mutating calls (keeps the fault tests exhaustive)", () => {
  withPod({}, (pod) => {
    const ledger: NetResource[] = [];
    const calls = withNetns(pod.path, () => {
      const d = faulty(openRtnl(), realTun(), 0, () => {
        throw new Error("no fault expected");
      });
      setupNetwork({
        plan: { mode: "dynamic", tap: "tap0_urunc" },
        containerId: "n",
        uid: 0,
        gid: 0,
        record: (r) => ledger.push(r),
      }, d);
      return d.calls;
    });
    assert.equal(calls.length, SETUP_MUTATIONS, calls.join(", "));
    withNetns(pod.path, () => cleanupNetwork(ledger));
  });
});

test("a failure injected at each step is undone by setup itself, and delete's cleanup finds nothing to do", () => {
  withPod({}, (pod) => {
    for (let n = 1; n <= SETUP_MUTATIONS; n++) {
      const ledger: NetResource[] = [];
      let failedCall = "";
      const err = withNetns(pod.path, () => {
        const d = faulty(openRtnl(), realTun(), n, (at, call) => {
          failedCall = call;
          throw new InjectedFault(at, call);
        });
        try {
          setupNetwork(
            {
              plan: { mode: "dynamic", tap: "tap0_urunc" },
              containerId: `f${n}`,
              uid: 1000,
              gid: 1000,
              record: (r) => ledger.push(r),
            },
            d,
          );
          return null;
        } catch (e) {
          return e;
        }
      });
      assert.ok(err instanceof NetworkSetupError, `step ${n} (${failedCall}): ${err}`);
      assert.deepEqual(err.rollbackProblems, [], `step ${n}`);
      assert.match(err.message, /injected fault/);
      assertNothingOurs(pod, `step ${n} (${failedCall}) after rollback`);
      assert.deepEqual(withNetns(pod.path, () => cleanupNetwork(ledger)), [], `step ${n}`);
      assertNothingOurs(pod, `step ${n} after delete`);
    }
  });
});

const CHILD = fileURLToPath(new URL("./crash_child.ts", import.meta.url));

test("a crash (SIGKILL) at each step leaves a ledger from which delete removes everything", () => {
  withPod({}, (pod) => {
    for (let n = 1; n <= SETUP_MUTATIONS; n++) {
      const ledgerFile = Deno.makeTempFileSync({ prefix: "urunc-ledger-" });
      try {
        const out = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--no-check", CHILD, pod.path, ledgerFile, String(n)],
          stdout: "piped",
          stderr: "piped",
        }).outputSync();
        assert.equal(out.signal, "SIGKILL", `step ${n}: ${new TextDecoder().decode(out.stderr)}`);
        const ledger = Deno.readTextFileSync(ledgerFile).split("\n").filter((l) => l !== "")
          .map((l) => JSON.parse(l) as NetResource);
        assert.ok(ledger.length >= 1, `step ${n}: the tap is recorded before it is created`);
        assert.deepEqual(withNetns(pod.path, () => cleanupNetwork(ledger)), [], `step ${n}`);
        assertNothingOurs(pod, `step ${n} after delete`);
      } finally {
        Deno.removeSync(ledgerFile);
      }
    }
  });
});
