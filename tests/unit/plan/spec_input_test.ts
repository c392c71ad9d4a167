import assert from "node:assert/strict";
import { parseSpec } from "../../../lib/oci/spec.ts";
import { toPlanSpec } from "../../../lib/plan/spec_input.ts";

const base = {
  ociVersion: "1.2.0",
  root: { path: "rootfs" },
  process: { user: { uid: 0, gid: 0 }, cwd: "/" },
};

Deno.test("toPlanSpec reads args, env, resources, seccomp and non-urunc annotations", () => {
  const s = toPlanSpec(parseSpec({
    ...base,
    process: { ...base.process, args: ["/a"], env: ["A=1"] },
    annotations: {
      "com.urunc.unikernel.binary": "/k",
      "io.kubernetes.cri.container-name": "user-container",
    },
    linux: {
      resources: { memory: { limit: 1048576 }, cpu: { quota: 50000, period: 100000 } },
      seccomp: { defaultAction: "SCMP_ACT_ERRNO" },
    },
  }, "c"));
  assert.deepEqual(s, {
    args: ["/a"],
    env: ["A=1"],
    memoryLimitBytes: 1048576,
    cpuQuota: 50000,
    cpuPeriod: 100000,
    seccomp: true,
    annotations: { "io.kubernetes.cri.container-name": "user-container" },
    mounts: [],
    uid: 0,
    gid: 0,
    cwd: "/",
    readonlyRootfs: false,
    ownPidNamespace: false,
  });
});

Deno.test("toPlanSpec: absent or unlimited values become null/empty; null seccomp is unconfined", () => {
  const cases: [unknown, { mem: number | null; seccomp: boolean }][] = [
    [undefined, { mem: null, seccomp: false }],
    [{ resources: null, seccomp: null }, { mem: null, seccomp: false }],
    [{ resources: { memory: { limit: -1 } }, seccomp: {} }, { mem: null, seccomp: true }],
    [{ resources: { memory: { limit: 0 } } }, { mem: null, seccomp: false }],
  ];
  for (const [linux, want] of cases) {
    const s = toPlanSpec(parseSpec(linux === undefined ? base : { ...base, linux }, "c"));
    assert.deepEqual([s.memoryLimitBytes, s.seccomp, s.args, s.env], [
      want.mem,
      want.seccomp,
      [],
      [],
    ], JSON.stringify(linux));
  }
});
