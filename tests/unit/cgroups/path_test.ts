import assert from "node:assert/strict";
import { expandSlice, resolveCgroupPath } from "../../../lib/plan/cgroups/path.ts";
import { errorOf } from "../plan/helpers.ts";

Deno.test("cgroupfs paths: absolute from the root, relative kept relative, cleaned", () => {
  const cases: [string | undefined, string | null][] = [
    [undefined, null],
    ["", null],
    ["/default/c1", "/default/c1"],
    ["/docker//abc/", "/docker/abc"],
    ["/a/./b", "/a/b"],
    ["k8s/pod1/c1", "k8s/pod1/c1"],
    ["a:b:c", "a:b:c"],
  ];
  for (const [cgroupsPath, want] of cases) {
    assert.equal(resolveCgroupPath({ cgroupsPath, systemd: false }), want, String(cgroupsPath));
  }
});

Deno.test("systemd slice:prefix:name maps to the unit's path as systemd nests it", () => {
  const cases: [string, string][] = [
    ["system.slice:docker:abc", "/system.slice/docker-abc.scope"],
    [":urunc:c1", "/system.slice/urunc-c1.scope"],
    [
      "kubepods-burstable-pod12.slice:cri-containerd:f00",
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12.slice/cri-containerd-f00.scope",
    ],
    ["-.slice:p:n", "/p-n.scope"],
    ["system.slice::n", "/system.slice/n.scope"],
    ["system.slice:p:machine-x.slice", "/machine.slice/machine-x.slice"],
  ];
  for (const [raw, want] of cases) {
    assert.equal(resolveCgroupPath({ cgroupsPath: raw, systemd: true }), want, raw);
  }
  assert.equal(expandSlice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
});

Deno.test("bad cgroupsPath values are errors naming the value", () => {
  const cases: [string, boolean, RegExp][] = [
    ["/a/../b", false, /invalid linux.cgroupsPath "\/a\/..\/b": ".." is not allowed/],
    ["/", false, /the root cgroup cannot hold a container/],
    ["/a/b", true, /expected "slice:prefix:name"/],
    ["system.slice:p:", true, /the unit name must be non-empty/],
    ["system:p:n", true, /"system" is not a slice name/],
    ["a--b.slice:p:n", true, /"a--b.slice" is not a slice name/],
    ["a/b.slice:p:n", true, /is not a slice name/],
  ];
  for (const [raw, systemd, want] of cases) {
    assert.match(errorOf(() => resolveCgroupPath({ cgroupsPath: raw, systemd })), want, raw);
  }
});
