// The socket layer against a scripted transport: ACKs, errors, replies, dumps.
import assert from "node:assert/strict";
import {
  concat,
  decodeMessages,
  encodeMessage,
  type NlHeader,
  u32,
} from "../../../ffi/netlink/codec.ts";
import { NLM_F, NLMSG } from "../../../ffi/netlink/constants.ts";
import { dumpLinks, getLink, ingressQdisc } from "../../../ffi/netlink/messages.ts";
import { NetlinkError, NetlinkSocket, type NetlinkTransport } from "../../../ffi/netlink/socket.ts";
import { KERNEL, unhex } from "./kernel_vectors.ts";

/** Answers each sent request with datagrams built by `reply(seq, sentHeader)`. */
function scripted(reply: (seq: number, sent: NlHeader, n: number) => Uint8Array[]) {
  const sent: NlHeader[] = [];
  const queue: Uint8Array[] = [];
  const t: NetlinkTransport & { sent: NlHeader[]; closed: boolean } = {
    sent,
    closed: false,
    send(d) {
      const [m] = decodeMessages(d);
      sent.push(m);
      queue.push(...reply(m.seq, m, sent.length));
    },
    receive() {
      const d = queue.shift();
      if (d === undefined) throw new Error("test transport: nothing to receive");
      return d;
    },
    close() {
      t.closed = true;
    },
  };
  return t;
}

const ack = (seq: number, errno = 0, extack?: string) => {
  const hdr = encodeMessage({ type: 36, flags: 0x605, seq, pid: 0 }, new Uint8Array());
  let tlv = new Uint8Array();
  let flags: number = NLM_F.CAPPED;
  if (extack !== undefined) {
    const text = new TextEncoder().encode(extack + "\0");
    const len = 4 + text.length;
    tlv = new Uint8Array((len + 3) & ~3);
    new DataView(tlv.buffer).setUint16(0, len, true);
    new DataView(tlv.buffer).setUint16(2, 1, true);
    tlv.set(text, 4);
    flags |= NLM_F.ACK_TLVS;
  }
  return encodeMessage(
    { type: NLMSG.ERROR, flags, seq, pid: 0 },
    concat(u32(-errno >>> 0), hdr, tlv),
  );
};
const msg = (type: number, seq: number, payload: Uint8Array, flags: number = NLM_F.MULTI) =>
  encodeMessage({ type, flags, seq, pid: 0 }, payload);
const done = (seq: number, flags: number = NLM_F.MULTI) => msg(NLMSG.DONE, seq, u32(0), flags);

Deno.test("request sets REQUEST|ACK plus the request's flags and returns on a zero ACK", () => {
  const t = scripted((seq) => [ack(seq)]);
  const s = new NetlinkSocket(t, 100);
  assert.deepEqual(s.request(ingressQdisc("add", { index: 2, name: "eth0" })), []);
  assert.deepEqual([t.sent[0].type, t.sent[0].flags, t.sent[0].seq], [36, 0x605, 101]);
});

Deno.test("a kernel refusal becomes NetlinkError with operation, subject, errno and extack", () => {
  const t = scripted((seq) => [ack(seq, 17, "Exclusivity flag on, cannot modify")]);
  const s = new NetlinkSocket(t, 41);
  assert.throws(
    () => s.request(ingressQdisc("add", { index: 2, name: "eth0" })),
    (e: unknown) =>
      e instanceof NetlinkError && e.errno === 17 &&
      e.extack === "Exclusivity flag on, cannot modify" &&
      e.message ===
        "RTM_NEWQDISC ingress on eth0 failed: EEXIST (File exists): Exclusivity flag on, cannot modify",
  );
});

Deno.test("the captured kernel EEXIST datagram is decoded into the same error", () => {
  const t = scripted(() => [unhex(KERNEL.eexistDatagram)]);
  const s = new NetlinkSocket(t, 41); // next seq = 42, as captured
  assert.throws(
    () => s.request(ingressQdisc("add", { index: 2, name: "eth0" })),
    /^NetlinkError: RTM_NEWQDISC ingress on eth0 failed: EEXIST \(File exists\): Exclusivity flag on/,
  );
});

Deno.test("replies before the ACK are returned; answers to other sequence numbers are skipped", () => {
  const link = unhex(KERNEL.tapLink[0]);
  const t = scripted((seq) => [concat(ack(seq - 1, 19), msg(16, seq, link, 0)), ack(seq)]);
  const s = new NetlinkSocket(t, 7);
  const out = s.request(getLink("tap0_urunc"));
  assert.equal(out.length, 1);
  assert.equal(out[0].type, 16);
});

Deno.test("a dump collects messages across datagrams until NLMSG_DONE, without asking for an ACK", () => {
  const link = unhex(KERNEL.tapLink[0]);
  const t = scripted((
    seq,
  ) => [concat(msg(16, seq, link), msg(16, seq, link)), concat(msg(16, seq, link), done(seq))]);
  const s = new NetlinkSocket(t, 1);
  assert.equal(s.dump(dumpLinks()).length, 3);
  assert.equal(t.sent[0].flags, NLM_F.REQUEST | NLM_F.DUMP);
});

Deno.test("a dump flagged NLM_F_DUMP_INTR is restarted", () => {
  const link = unhex(KERNEL.tapLink[0]);
  const t = scripted((seq, _h, n) =>
    n === 1
      ? [concat(msg(16, seq, link, NLM_F.MULTI | NLM_F.DUMP_INTR), done(seq))]
      : [concat(msg(16, seq, link), msg(16, seq, link), done(seq))]
  );
  const s = new NetlinkSocket(t, 1);
  assert.equal(s.dump(dumpLinks()).length, 2);
  assert.equal(t.sent.length, 2);
});

Deno.test("an error inside a dump, or in NLMSG_DONE, is thrown", () => {
  const s1 = new NetlinkSocket(scripted((seq) => [ack(seq, 22, "bad dump")]), 1);
  assert.throws(
    () => s1.dump(dumpLinks()),
    /RTM_GETLINK \(dump\) failed: EINVAL \(Invalid argument\): bad dump/,
  );
  const s2 = new NetlinkSocket(scripted((seq) => [msg(NLMSG.DONE, seq, u32(-90 >>> 0))]), 1);
  assert.throws(
    () => s2.dump(dumpLinks()),
    (e: unknown) => e instanceof NetlinkError && e.errno === 90,
  );
});

Deno.test("close closes the transport", () => {
  const t = scripted(() => []);
  new NetlinkSocket(t).close();
  assert.equal(t.closed, true);
});
