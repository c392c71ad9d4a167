// Real qemu (TCG) booting the test guest through `urunc run`, confined the way
// containerd and Docker confine a container by default: their capability set
// and their seccomp profile (tests/fixtures/seccomp), with a network interface in
// the container's netns, so qemu attaches the tap urunc created and chowned to
// the monitor's user. Proves that applying the spec's privileges leaves the
// monitor everything it needs: it needs no capability at all.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_NAMESPACES,
  makeBundle,
  seccompFixture,
  writeHostConfig,
} from "../helpers/bundle.ts";
import { testGlobals } from "../helpers/urunc.ts";
import { artifacts, e2eTest, guestLines, NetNs, QEMU, run } from "./helpers.ts";

const cases: { name: string; profile: "containerd" | "docker"; uid: number }[] = [
  { name: "containerd's default profile, root", profile: "containerd", uid: 0 },
  { name: "Docker's default profile, root", profile: "docker", uid: 0 },
  { name: "containerd's default profile, uid 1000", profile: "containerd", uid: 1000 },
];

for (const c of cases) {
  e2eTest(`monitor privileges: qemu boots the guest under ${c.name}`, [
    "vmlinux",
    "initrd",
    "urunc",
  ], async () => {
    const dir = Deno.makeTempDirSync({ prefix: "urunc-qemu-priv-" });
    const pod = await NetNs.create("urunc-priv");
    try {
      // Any interface besides loopback makes urunc create the tap; nothing needs to answer.
      await pod.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"]);
      await pod.exec(["ip", "link", "set", "peer0", "up"]);
      await pod.exec(["ip", "addr", "add", "10.4.0.2/24", "dev", "eth0"]);
      await pod.exec(["ip", "link", "set", "eth0", "up"]);
      await pod.exec(["ip", "route", "add", "default", "via", "10.4.0.1"]);
      const bundle = makeBundle(join(dir, "bundle"), {
        annotations: {
          "com.urunc.unikernel.unikernelType": "linux",
          "com.urunc.unikernel.hypervisor": "qemu",
          "com.urunc.unikernel.binary": "/kernel",
          "com.urunc.unikernel.initrd": "/initrd",
        },
        seccomp: seccompFixture(c.profile),
        user: { uid: c.uid, gid: c.uid },
        namespaces: DEFAULT_NAMESPACES.map((n) =>
          n.type === "network" ? { type: "network", path: `/var/run/netns/${pod.name}` } : n
        ),
      });
      Deno.copyFileSync(artifacts.vmlinux, join(bundle, "rootfs", "kernel"));
      Deno.copyFileSync(artifacts.initrd, join(bundle, "rootfs", "initrd"));
      const config = writeHostConfig(join(dir, "config.toml"), QEMU);
      const r = await run(artifacts.urunc, [
        ...testGlobals(dir, config),
        "run",
        "--bundle",
        bundle,
        `qp${c.uid}${c.profile[0]}`,
      ], { timeoutMs: 180_000 });
      console.log(`${c.name}: boot to poweroff ${(r.ms / 1000).toFixed(1)} s`);
      const log = Deno.readTextFileSync(join(dir, "log.json"));
      assert.equal(r.code, 0, `urunc run exited ${r.code}: ${r.stderr}\n${log}\n${r.stdout}`);
      const lines = guestLines(r.stdout);
      assert.equal(lines[0], "URUNC-TEST-GUEST: booted", r.stdout.slice(-2000));
      assert.equal(lines.at(-1), "URUNC-TEST-GUEST: bye");
      assert.match(lines[1], /ip=10\.4\.0\.2::10\.4\.0\.1:255\.255\.255\.0/, "the guest had a NIC");
    } finally {
      await run(artifacts.urunc, [
        ...testGlobals(dir, join(dir, "config.toml")),
        "delete",
        "--force",
        `qp${c.uid}${c.profile[0]}`,
      ]);
      await pod.destroy();
      Deno.removeSync(dir, { recursive: true });
    }
  });
}
