// Frames really flow: acting as the VM on the tap, an ARP request we write goes
// out of eth0 to the peer netns, and the peer's ARP reply comes back through
// eth0's ingress redirect to us. ARP is not IP: this also proves `protocol all`.
import assert from "node:assert/strict";
import { check, cstr, libc } from "../../../ffi/libc.ts";
import { O } from "../../../ffi/constants.ts";
import { withNetns } from "../../../ffi/netns.ts";
import { encodeIfreq, IFF_NO_PI, IFF_TAP, TUNSETIFF } from "../../../ffi/tun.ts";
import { cleanupNetwork, type NetResource, setupNetwork } from "../../../lib/host/network/mod.ts";
import { IS_ROOT, withPod } from "./helpers.ts";

const GUEST_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

function arpRequest(senderIp: number[], targetIp: number[]): Uint8Array {
  const f = new Uint8Array(60);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
  f.set(GUEST_MAC, 6);
  f.set([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], 12);
  f.set(GUEST_MAC, 22);
  f.set(senderIp, 28);
  f.set(targetIp, 38);
  return f;
}

/** Read frames from the tap fd until an ARP reply arrives (the netns also sends IPv6 chatter). */
function readArpReply(fd: number, timeoutMs: number): Uint8Array | null {
  const c = libc();
  const deadline = Date.now() + timeoutMs;
  const buf = new Uint8Array(2048);
  const pfd = new Uint8Array(8);
  const v = new DataView(pfd.buffer);
  while (Date.now() < deadline) {
    v.setInt32(0, fd, true);
    v.setInt16(4, 1, true); // POLLIN
    if (c.poll(pfd, 1n, Math.max(1, deadline - Date.now())) <= 0) continue;
    const n = Number(c.read(fd, buf, BigInt(buf.length)));
    if (n < 42) continue;
    const f = buf.slice(0, n);
    if (f[12] === 0x08 && f[13] === 0x06 && f[21] === 2) return f;
  }
  return null;
}

Deno.test({
  name:
    "an ARP request written by the 'guest' reaches the peer netns and the reply comes back through the tap",
  ignore: !IS_ROOT,
  fn() {
    withPod({}, (pod) => {
      const ledger: NetResource[] = [];
      const c = libc();
      const fd = withNetns(pod.path, () => {
        setupNetwork({
          plan: { mode: "dynamic", tap: "tap0_urunc" },
          containerId: "traffic",
          uid: 0,
          gid: 0,
          record: (r) => ledger.push(r),
        });
        // Attach to the persistent tap the way a monitor does (no IFF_TUN_EXCL).
        const fd = check(
          c.open(cstr("/dev/net/tun"), O.RDWR | O.CLOEXEC | O.NONBLOCK, 0),
          "open",
          "/dev/net/tun",
        );
        check(
          c.ioctl(fd, BigInt(TUNSETIFF), encodeIfreq("tap0_urunc", IFF_TAP | IFF_NO_PI)),
          "ioctl",
          "TUNSETIFF",
        );
        return fd;
      });
      try {
        const req = arpRequest([10, 99, 0, 2], [10, 99, 0, 1]);
        // Retransmit as a guest would: the first frame can go out before the
        // freshly created veth pair has carrier, and is then dropped.
        let reply: Uint8Array | null = null;
        for (let i = 0; i < 20 && reply === null; i++) {
          check(c.write(fd, req as Uint8Array<ArrayBuffer>, BigInt(req.length)), "write", "tap");
          reply = readArpReply(fd, 250);
        }
        assert.ok(reply !== null, "no ARP reply came back through the tap");
        assert.deepEqual(Array.from(reply.subarray(0, 6)), GUEST_MAC, "addressed to the guest");
        assert.deepEqual(
          Array.from(reply.subarray(28, 32)),
          [10, 99, 0, 1],
          "from the peer's address",
        );
        const peerMac = (JSON.parse(
          new TextDecoder().decode(
            new Deno.Command("ip", {
              args: ["-n", pod.peer, "-j", "link", "show", "veth0"],
              stdout: "piped",
            }).outputSync()
              .stdout,
          ),
        )[0] as { address: string }).address;
        assert.equal(
          Array.from(reply.subarray(22, 28), (b) => b.toString(16).padStart(2, "0")).join(":"),
          peerMac,
        );
      } finally {
        c.close(fd);
        assert.deepEqual(withNetns(pod.path, () => cleanupNetwork(ledger)), []);
      }
    });
  },
});
