import assert from "node:assert/strict";
import type { Logger } from "../../../lib/log.ts";
import { cleanupNetResources } from "../../../lib/runtime/net_cleanup.ts";
import { realHost } from "../../../lib/host/host.ts";

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
}

Deno.test("a pod netns that no longer exists is a warning, not a problem that blocks delete forever", async () => {
  const log = recordingLog();
  const problems = cleanupNetResources(
    [{
      kind: "net",
      netnsPath: "/var/run/netns/urunc-test-gone-for-good",
      resource: { kind: "tap", name: "tap0_urunc", alias: "urunc:c1" },
    }],
    null,
    log,
    await realHost().netlink(),
  );
  assert.deepEqual(problems, []);
  assert.match(
    log.warnings.join("\n"),
    /network namespace \/var\/run\/netns\/urunc-test-gone-for-good is gone/,
  );
});

Deno.test("an own netns that died with the container needs nothing", async () => {
  const log = recordingLog();
  const problems = cleanupNetResources(
    [{
      kind: "net",
      netnsPath: null,
      resource: { kind: "tap", name: "tap0_urunc", alias: "urunc:c1" },
    }],
    null,
    log,
    await realHost().netlink(),
  );
  assert.deepEqual([problems, log.warnings], [[], []]);
});
