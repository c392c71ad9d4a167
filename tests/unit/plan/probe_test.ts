import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultHostConfig } from "../../../lib/config/host_config.ts";
import { findMount, probeHostFacts, unescapeMountinfo } from "../../../lib/host/probe.ts";
import { lookPath } from "../../../lib/host/look_path.ts";

const MOUNTINFO = [
  "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
  "40 22 0:35 / /run/c1/rootfs rw,relatime - overlay overlay rw,lowerdir=/a",
  "41 40 253:7 / /run/c1/rootfs rw,relatime shared:9 - ext2 /dev/mapper/pool-snap-7 rw",
  "42 22 0:36 / /run/with\\040space rw - tmpfs tm\\134p rw",
  "garbage line",
].join("\n");

Deno.test("findMount: exact mountpoint, last (topmost) mount wins, escapes undone", () => {
  assert.deepEqual(findMount(MOUNTINFO, "/run/c1/rootfs"), {
    mountpoint: "/run/c1/rootfs",
    fstype: "ext2",
    device: "/dev/mapper/pool-snap-7",
  });
  assert.deepEqual(findMount(MOUNTINFO, "/run/with space"), {
    mountpoint: "/run/with space",
    fstype: "tmpfs",
    device: "tm\\p",
  });
  assert.equal(findMount(MOUNTINFO, "/run/c1"), null);
  assert.equal(findMount("", "/"), null);
  assert.equal(unescapeMountinfo("a\\011b\\012c"), "a\tb\nc");
});

Deno.test("lookPath finds executable regular files in absolute PATH dirs only", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(dir, "solo5-hvt"), "#!/bin/sh\n", { mode: 0o755 });
    Deno.writeTextFileSync(join(dir, "solo5-spt"), "not executable", { mode: 0o644 });
    Deno.mkdirSync(join(dir, "firecracker"));
    assert.equal(lookPath("solo5-hvt", `relative:${dir}`), join(dir, "solo5-hvt"));
    assert.equal(lookPath("solo5-spt", dir), undefined);
    assert.equal(lookPath("firecracker", dir), undefined);
    assert.equal(lookPath("nothing", ""), undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("probeHostFacts: arch, kvm flag, config paths win when executable, no network", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const spt = join(dir, "solo5-spt");
    Deno.writeTextFileSync(spt, "", { mode: 0o755 });
    const host = defaultHostConfig();
    host.monitors.spt.path = spt;
    host.monitors.hvt.path = join(dir, "missing-solo5-hvt");
    const f = probeHostFacts(host, { rootfs: "/" });
    assert.equal(f.arch, Deno.build.arch === "aarch64" ? "arm64" : "amd64");
    assert.equal(typeof f.kvm, "boolean");
    assert.equal(f.monitorPaths.spt, spt);
    assert.equal(
      f.monitorPaths.hvt,
      undefined,
      "a configured path that is not there is not a monitor",
    );
    assert.equal(f.network, null);
    assert.equal(f.rootfsMount?.mountpoint, "/");
    assert.equal(typeof f.rootfsMount?.isBlockDevice, "boolean");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
