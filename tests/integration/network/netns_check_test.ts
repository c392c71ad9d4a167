import assert from "node:assert/strict";
import { check, cstr, libc } from "../../../ffi/libc.ts";
import { O } from "../../../ffi/constants.ts";
import { netnsId, withNetns, withScratchNetns } from "../../../ffi/netns.ts";
import { openRtnl } from "../../../ffi/netlink/rtnl.ts";
import { checkNetworkSupport } from "../../../lib/host/network/mod.ts";
import { IS_ROOT, withPod } from "./helpers.ts";

const test = (name: string, fn: () => void) => Deno.test({ name, ignore: !IS_ROOT, fn });

test("withNetns runs fn inside the target and returns to the original namespace, also when fn throws", () => {
  withPod({}, (pod) => {
    const home = netnsId();
    const target = netnsId(pod.path);
    assert.notEqual(home, target);
    assert.equal(withNetns(pod.path, () => netnsId()), target);
    assert.equal(netnsId(), home);
    assert.throws(() =>
      withNetns(pod.path, () => {
        throw new Error("boom");
      }), /boom/);
    assert.equal(netnsId(), home);
    // a socket opened inside keeps talking to the target after we left
    const rtnl = withNetns(pod.path, () => openRtnl());
    try {
      assert.ok(rtnl.link("eth0") !== null);
    } finally {
      rtnl.close();
    }
  });
});

test("withNetns accepts an open fd and a /proc/<pid>/ns/net path", () => {
  withPod({}, (pod) => {
    const target = netnsId(pod.path);
    const fd = check(libc().open(cstr(pod.path), O.RDONLY | O.CLOEXEC, 0), "open", pod.path);
    try {
      assert.equal(withNetns(fd, () => netnsId()), target);
    } finally {
      libc().close(fd);
    }
    const child = new Deno.Command("ip", { args: ["netns", "exec", pod.ns, "sleep", "5"] }).spawn();
    try {
      for (let i = 0; i < 100 && netnsId(`/proc/${child.pid}/ns/net`) !== target; i++) {
        new Deno.Command("sleep", { args: ["0.01"] }).outputSync();
      }
      assert.equal(withNetns(`/proc/${child.pid}/ns/net`, () => netnsId()), target);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

test("withNetns on a missing path fails with the path and errno, staying home", () => {
  const home = netnsId();
  assert.throws(
    () => withNetns("/run/netns/does-not-exist", () => 1),
    /open\(\/run\/netns\/does-not-exist\) failed: ENOENT/,
  );
  assert.equal(netnsId(), home);
});

test("withScratchNetns gives an empty namespace and comes back", () => {
  const home = netnsId();
  const names = withScratchNetns(() => {
    const r = openRtnl();
    try {
      return r.links().map((l) => l.name);
    } finally {
      r.close();
    }
  });
  assert.deepEqual(names, ["lo"]);
  assert.equal(netnsId(), home);
});

test("checkNetworkSupport reports /dev/net/tun, tun, sch_ingress, cls_u32 and act_mirred as available here", () => {
  const home = netnsId();
  const items = checkNetworkSupport();
  assert.deepEqual(items.map((i) => i.name), [
    "/dev/net/tun",
    "tun",
    "sch_ingress",
    "cls_u32",
    "act_mirred",
  ]);
  for (const i of items) assert.ok(i.ok, `${i.name}: ${i.detail}`);
  assert.equal(netnsId(), home, "the probe namespace is left");
});
