// Every kind of resource the runtime ledgers must read back as valid: a kind the
// validator does not know would make delete skip (and leak) that resource.
import assert from "node:assert/strict";
import { resourceProblem } from "../../../lib/ledger.ts";
import type { Resource } from "../../../lib/ledger.ts";

const VALID: Record<Resource["kind"], Resource[]> = {
  process: [{ kind: "process", pid: 42, startTime: "123" }],
  path: [{ kind: "path", path: "/r/dev", type: "dir" }],
  net: [{ kind: "net", netnsPath: null, resource: { kind: "tap", name: "tap0_urunc" } }],
  cgroup: [
    { kind: "cgroup", dir: "/sys/fs/cgroup/memory/default/c1" },
    { kind: "cgroup", dir: "/sys/fs/cgroup/memory/default", existed: true },
  ],
  unmount: [{
    kind: "unmount",
    target: "/run/rootfs",
    device: "/dev/loop3",
    devno: "7:3",
    fstype: "ext4",
    flags: 0,
    data: "rw",
  }],
  "loop-autoclear": [{ kind: "loop-autoclear", device: "/dev/loop3" }],
};

for (const [kind, list] of Object.entries(VALID)) {
  Deno.test(`ledger kind ${kind} reads back as valid`, () => {
    for (const r of list) assert.equal(resourceProblem(JSON.parse(JSON.stringify(r))), null);
  });
}

for (
  const [bad, why] of [
    [{ kind: "cgroup", dir: "relative" }, 'field "dir" is missing or invalid'],
    [{ kind: "cgroup", dir: "/sys/fs/cgroup/../etc" }, 'field "dir" is missing or invalid'],
    [
      { kind: "unmount", target: "/r", device: "/dev/sda", devno: "x" },
      'field "devno" is missing or invalid',
    ],
    [{ kind: "loop-autoclear", device: "/etc/passwd" }, 'field "device" is missing or invalid'],
    [{ kind: "bogus" }, 'unknown kind "bogus"'],
  ] as const
) {
  Deno.test(`ledger line ${JSON.stringify(bad)} is damaged: ${why}`, () => {
    assert.equal(resourceProblem(bad), why);
  });
}
