import assert from "node:assert/strict";
import { earlyNamespaces } from "../../../lib/runtime/early_init.ts";

const UK = { "com.urunc.unikernel.binary": "/kernel" };
const base = (over: Record<string, unknown> = {}) => ({
  ociVersion: "1.0.2",
  root: { path: "rootfs" },
  process: { cwd: "/", user: { uid: 0, gid: 0 } },
  annotations: UK,
  linux: { namespaces: [{ type: "pid" }, { type: "mount" }] },
  ...over,
});

const CASES: [what: string, raw: unknown, uruncJson: boolean, expected: unknown][] = [
  ["a unikernel by annotation", base(), false, [{ type: "pid" }, { type: "mount" }]],
  [
    "a pod netns path is kept",
    base({ linux: { namespaces: [{ type: "network", path: "/var/run/netns/p" }] } }),
    false,
    [{ type: "network", path: "/var/run/netns/p" }],
  ],
  ["a unikernel by urunc.json", base({ annotations: {} }), true, [{ type: "pid" }, {
    type: "mount",
  }]],
  ["no urunc metadata: runc's", base({ annotations: {} }), false, null],
  [
    "only the cluster-wide flags: runc's",
    base({
      annotations: { "com.urunc.unikernel.mountRootfs": "true" },
    }),
    false,
    null,
  ],
  [
    "an empty annotation value is no metadata",
    base({
      annotations: { "com.urunc.unikernel.binary": "" },
    }),
    false,
    null,
  ],
  [
    "a pod sandbox",
    base({
      annotations: { ...UK, "io.kubernetes.cri.container-type": "sandbox" },
    }),
    true,
    null,
  ],
  [
    "a terminal (the pty goes to the shim once)",
    base({
      process: { cwd: "/", terminal: true, user: { uid: 0, gid: 0 } },
    }),
    false,
    null,
  ],
  [
    "terminal false is fine",
    base({
      process: { cwd: "/", terminal: false, user: { uid: 0, gid: 0 } },
    }),
    false,
    [{ type: "pid" }, { type: "mount" }],
  ],
  [
    "a non-boolean terminal: validation says why",
    base({
      process: { cwd: "/", terminal: "yes", user: { uid: 0, gid: 0 } },
    }),
    false,
    null,
  ],
  ["no linux section: no namespaces", base({ linux: undefined }), false, []],
  ["namespaces not an array", base({ linux: { namespaces: {} } }), false, null],
  ["an unknown kind", base({ linux: { namespaces: [{ type: "bogus" }] } }), false, null],
  [
    "a user namespace (refused later, with the reason)",
    base({
      linux: { namespaces: [{ type: "user" }] },
    }),
    false,
    null,
  ],
  [
    "a non-string path",
    base({ linux: { namespaces: [{ type: "network", path: 3 }] } }),
    false,
    null,
  ],
  ["a non-string annotation", base({ annotations: { ...UK, x: 1 } }), false, null],
  ["no root", base({ root: undefined }), true, null],
  ["not an object", [], true, null],
  ["null", null, true, null],
];

for (const [what, raw, uruncJson, expected] of CASES) {
  Deno.test(`early init: ${what}`, () => {
    let asked: string | null = null;
    const got = earlyNamespaces(raw, "/b", (rootfs) => {
      asked = rootfs;
      return uruncJson;
    });
    assert.deepEqual(got, expected);
    if (asked !== null) assert.equal(asked, "/b/rootfs", "urunc.json is looked for in the rootfs");
  });
}
