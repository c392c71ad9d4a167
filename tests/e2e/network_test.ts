// Issue "networking": a unikernel container in a pod network namespace answers
// on the pod IP, and delete leaves no tap or tc object behind.
import assert from "node:assert/strict";
import { Containerd } from "./containerd.ts";
import { artifacts, e2eTest, must, NetNs, run, TEST_IMAGE_REF, waitFor } from "./helpers.ts";

const POD_IP = "10.4.0.2";
const GW = "10.4.0.1";

/** A pod netns with eth0 (veth) = 10.4.0.2/24 via 10.4.0.1, and a peer netns holding the gateway. */
async function podNetwork(): Promise<{ pod: NetNs; peer: NetNs }> {
  const pod = await NetNs.create("urunc-pod");
  const peer = await NetNs.create("urunc-peer");
  await must("ip", [
    "link",
    "add",
    "eth0",
    "netns",
    pod.name,
    "type",
    "veth",
    "peer",
    "name",
    "gw0",
    "netns",
    peer.name,
  ]);
  await pod.exec(["ip", "addr", "add", `${POD_IP}/24`, "dev", "eth0"]);
  await pod.exec(["ip", "link", "set", "eth0", "up"]);
  await pod.exec(["ip", "route", "add", "default", "via", GW]);
  await peer.exec(["ip", "addr", "add", `${GW}/24`, "dev", "gw0"]);
  await peer.exec(["ip", "link", "set", "gw0", "up"]);
  // The pod netns keeps eth0's address while tc mirrors its frames to the VM:
  // it must not answer pings itself, or a ping would prove nothing.
  await pod.exec(["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"]);
  return { pod, peer };
}

async function tcState(pod: NetNs): Promise<{ tap: boolean; ingress: boolean; filters: string }> {
  const link = await run("ip", ["-n", pod.name, "link", "show", "tap0_urunc"]);
  const qdisc = await run("tc", ["-n", pod.name, "qdisc", "show", "dev", "eth0"]);
  const filters = await run("tc", ["-n", pod.name, "filter", "show", "dev", "eth0", "ingress"]);
  return {
    tap: link.code === 0,
    ingress: /qdisc ingress/.test(qdisc.stdout),
    filters: filters.stdout,
  };
}

e2eTest(
  "network: the guest answers ping and HTTP on the pod IP; delete removes the tap and tc rules; the netns is reusable",
  ["testImageTar", "urunc"],
  async (t) => {
    const { pod, peer } = await podNetwork();
    const cd = await Containerd.start();
    const withNs = ["--with-ns", `network:/var/run/netns/${pod.name}`];
    try {
      await cd.importImage(artifacts.testImageTar);
      const r = await cd.run({
        image: TEST_IMAGE_REF,
        id: "net1",
        runtime: artifacts.urunc,
        detach: true,
        rm: false,
        args: ["/init", "serve"],
        flags: withNs,
      });
      assert.equal(r.code, 0, `ctr run -d failed: ${r.stderr}\n${cd.logTail()}`);

      await t.step("the tap and both redirects exist while it runs", async () => {
        const s = await tcState(pod);
        assert.ok(s.tap, "tap0_urunc exists in the pod netns");
        assert.ok(s.ingress, "eth0 has an ingress qdisc");
        assert.match(s.filters, /mirred \(Egress Redirect to device tap0_urunc\)/);
      });

      await t.step("HTTP from the peer reaches the server inside the guest", async () => {
        const body = await waitFor(
          "the guest's HTTP server",
          async () => {
            const out = await peer.httpGet(POD_IP, 8080);
            return out?.includes("URUNC-TEST-GUEST-HTTP") ? out : undefined;
          },
          90_000,
          500,
        );
        assert.match(body, /200 OK/);
      });

      await t.step(
        "ping from the peer is answered by the guest (the pod netns ignores ICMP)",
        async () => {
          const ping = await run("ip", [
            "netns",
            "exec",
            peer.name,
            "busybox",
            "ping",
            "-c",
            "2",
            "-W",
            "3",
            POD_IP,
          ]);
          assert.equal(ping.code, 0, ping.stdout + ping.stderr);
          assert.match(ping.stdout, /2 packets received/);
        },
      );

      await t.step(
        "a second unikernel in the same netns is refused, naming the owner",
        async () => {
          const second = await cd.run({
            image: TEST_IMAGE_REF,
            id: "net-second",
            runtime: artifacts.urunc,
            flags: withNs,
          });
          assert.notEqual(second.code, 0);
          assert.match(second.stderr + second.stdout, /tap0_urunc belongs to container "net1"/);
          await cd.ctr(["task", "delete", "--force", "net-second"]);
          await cd.ctr(["container", "delete", "net-second"]);
        },
      );

      await t.step("kill + delete removes everything urunc created in the netns", async () => {
        assert.equal((await cd.ctr(["task", "kill", "net1"])).code, 0);
        await waitFor("net1 to stop", async () => {
          const l = await cd.ctr(["task", "ls"]);
          return /net1\s+\d+\s+STOPPED/.test(l.stdout) ? true : undefined;
        }, 60_000);
        const del = await cd.ctr(["task", "delete", "net1"]);
        assert.equal(del.code, 0, del.stderr);
        await cd.ctr(["container", "delete", "net1"]);
        assert.deepEqual(await tcState(pod), { tap: false, ingress: false, filters: "" });
      });

      await t.step("the same netns works again for the next container", async () => {
        const again = await cd.run({
          image: TEST_IMAGE_REF,
          id: "net2",
          runtime: artifacts.urunc,
          flags: withNs,
        });
        assert.equal(again.code, 0, `${again.stderr}\n${cd.logTail()}`);
        assert.ok(
          again.stdout.includes(`ip=${POD_IP}::${GW}:255.255.255.0:urunc:eth0:off`),
          again.stdout.slice(-1500),
        );
        assert.ok(
          again.stdout.includes(`URUNC-TEST-GUEST: net eth0 ${POD_IP}/24 gw ${GW}`),
          again.stdout.slice(-1500),
        );
        assert.deepEqual(await tcState(pod), { tap: false, ingress: false, filters: "" });
      });
      assert.deepEqual(cd.leftovers({ running: true }), []);
    } finally {
      await cd.stop();
      await pod.destroy();
      await peer.destroy();
    }
  },
);
