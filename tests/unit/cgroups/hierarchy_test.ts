import assert from "node:assert/strict";
import { hierarchyFor, leafDir, parseLayout } from "../../../lib/plan/cgroups/hierarchy.ts";

// This machine's shape: v1 controllers one per hierarchy, name=systemd, an empty cgroup2.
export const HYBRID_MOUNTINFO = [
  "22 21 0:20 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "23 22 0:21 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
  "24 22 0:22 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct",
  "25 22 0:23 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset",
  "26 22 0:24 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "27 22 0:25 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices",
  "28 22 0:26 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer",
  "29 22 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
  "30 22 0:28 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd",
  "31 22 0:29 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate",
  // the same hierarchy mounted twice (bind into a container): counted once
  "32 22 0:24 / /mnt/mem\\040x rw,relatime - cgroup cgroup rw,memory",
].join("\n");

export const HYBRID_SELF = [
  "9:name=systemd:/",
  "8:pids:/",
  "6:freezer:/",
  "5:devices:/",
  "4:memory:/process_api/abc",
  "3:cpuset:/",
  "2:cpuacct:/",
  "1:cpu:/",
  "0::/",
].join("\n");

Deno.test("a hybrid host: every v1 hierarchy, then the unified one", () => {
  const l = parseLayout(HYBRID_MOUNTINFO, HYBRID_SELF);
  assert.equal(l.version, 1);
  assert.deepEqual(
    l.hierarchies.map((h) => [h.version, h.controllers.join(","), h.mount, h.own]),
    [
      [1, "cpu", "/sys/fs/cgroup/cpu", "/"],
      [1, "cpuacct", "/sys/fs/cgroup/cpuacct", "/"],
      [1, "cpuset", "/sys/fs/cgroup/cpuset", "/"],
      [1, "memory", "/sys/fs/cgroup/memory", "/process_api/abc"],
      [1, "devices", "/sys/fs/cgroup/devices", "/"],
      [1, "freezer", "/sys/fs/cgroup/freezer", "/"],
      [1, "pids", "/sys/fs/cgroup/pids", "/"],
      [1, "name=systemd", "/sys/fs/cgroup/systemd", "/"],
      [2, "", "/sys/fs/cgroup/unified", "/"],
    ],
  );
  assert.equal(hierarchyFor(l, "memory")?.mount, "/sys/fs/cgroup/memory");
  assert.equal(hierarchyFor(l, "hugetlb"), undefined);
  const mem = hierarchyFor(l, "memory")!;
  assert.equal(leafDir(mem, "/default/c1"), "/sys/fs/cgroup/memory/default/c1");
  assert.equal(
    leafDir(mem, "c1"),
    "/sys/fs/cgroup/memory/process_api/abc/c1",
    "relative: below own",
  );
});

Deno.test("a v2 host: one hierarchy; a relative path goes beside urunc's own cgroup", () => {
  const l = parseLayout(
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
    "0::/system.slice/containerd.service\n",
  );
  assert.equal(l.version, 2);
  assert.equal(l.hierarchies.length, 1);
  const h = hierarchyFor(l, "memory")!;
  assert.equal(leafDir(h, "/k8s/c1"), "/sys/fs/cgroup/k8s/c1");
  assert.equal(leafDir(h, "c1"), "/sys/fs/cgroup/system.slice/c1");
});

Deno.test("co-mounted v1 controllers share one hierarchy", () => {
  const l = parseLayout(
    "23 22 0:21 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpuacct,cpu",
    "3:cpu,cpuacct:/x\n",
  );
  assert.deepEqual(l.hierarchies[0].controllers, ["cpu", "cpuacct"]);
  assert.equal(l.hierarchies[0].own, "/x");
  assert.equal(hierarchyFor(l, "cpuacct"), hierarchyFor(l, "cpu"));
});
