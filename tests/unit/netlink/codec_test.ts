import assert from "node:assert/strict";
import {
  align4,
  decodeAttrs,
  decodeIfAddrMsg,
  decodeIfInfoMsg,
  decodeMessages,
  decodeNlMsgErr,
  decodeRtMsg,
  decodeTcMsg,
  encodeAttrs,
  encodeIfAddrMsg,
  encodeIfInfoMsg,
  encodeMessage,
  encodeRtMsg,
  encodeTcMsg,
  filterInfo,
  formatIP,
  formatMac,
  NetlinkCodecError,
  parseIPv4,
  parseIPv6,
  prefixToMask,
  readStr,
  readU16,
  readU32,
  splitFilterInfo,
  strz,
  u16,
  u32,
  u8,
} from "../../../ffi/netlink/codec.ts";
import { NLA_F_NESTED } from "../../../ffi/netlink/constants.ts";
import { hex, KERNEL, unhex } from "./kernel_vectors.ts";

Deno.test("align4 rounds up to the next multiple of four", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 8].map(align4), [0, 4, 4, 4, 4, 8, 8]);
});

Deno.test("encodeAttrs pads each attribute to 4 bytes but keeps the unpadded length", () => {
  const b = encodeAttrs([{ type: 3, data: strz("eth0") }, { type: 4, data: u32(1500) }, {
    type: 16,
    data: u8(6),
  }]);
  assert.equal(
    hex(b),
    "0900" + "0300" + "6574683000" + "000000" + // IFNAME "eth0\0", len 9, 3 bytes padding
      "0800" + "0400" + "dc050000" + // MTU 1500
      "0500" + "1000" + "06" + "000000", // OPERSTATE 6, padding
  );
});

Deno.test("encodeAttrs writes nested attributes inside their parent's length", () => {
  const b = encodeAttrs([{ type: 2 | NLA_F_NESTED, attrs: [{ type: 1, data: u16(7) }] }]);
  assert.equal(hex(b), "0c00" + "0280" + "0600" + "0100" + "0700" + "0000");
});

Deno.test("encodeAttrs of an empty attribute is a bare 4-byte header", () => {
  assert.equal(hex(encodeAttrs([{ type: 2, data: new Uint8Array() }])), "04000200");
});

Deno.test("decodeAttrs splits flags from the type and slices payloads without padding", () => {
  const a = decodeAttrs(unhex("0900030065746830000000000c000280060001000700000004000440"));
  assert.equal(a.length, 3);
  assert.deepEqual([a[0].type, a[0].nested, readStr(a[0].data)], [3, false, "eth0"]);
  assert.deepEqual([a[1].type, a[1].nested, a[1].data.length], [2, true, 8]);
  assert.equal(readU16(decodeAttrs(a[1].data)[0].data), 7);
  assert.deepEqual([a[2].type, a[2].netByteOrder, a[2].data.length], [4, true, 0]);
});

Deno.test("decodeAttrs rejects a length that runs past the buffer or is below 4", () => {
  assert.throws(() => decodeAttrs(unhex("0c0001000000")), NetlinkCodecError);
  assert.throws(() => decodeAttrs(unhex("02000100")), NetlinkCodecError);
});

Deno.test("encodeMessage writes nlmsghdr in host order and pads the total", () => {
  const m = encodeMessage({ type: 18, flags: 0x301, seq: 7, pid: 0 }, unhex("0a0b0c"));
  // len counts the 3 payload bytes (19), the buffer is padded to 20
  assert.equal(hex(m), "13000000" + "1200" + "0103" + "07000000" + "00000000" + "0a0b0c00");
});

Deno.test("decodeMessages splits a datagram holding several messages", () => {
  const one = encodeMessage({ type: 16, flags: 2, seq: 5, pid: 9 }, unhex("01020304"));
  const done = encodeMessage({ type: 3, flags: 2, seq: 5, pid: 9 }, u32(0));
  const ms = decodeMessages(new Uint8Array([...one, ...done]));
  assert.deepEqual(ms.map((m) => [m.type, m.flags, m.seq, m.pid, hex(m.payload)]), [
    [16, 2, 5, 9, "01020304"],
    [3, 2, 5, 9, "00000000"],
  ]);
});

Deno.test("decodeMessages rejects a truncated message", () => {
  assert.throws(() => decodeMessages(unhex("20000000100000000000000000000000")), NetlinkCodecError);
});

Deno.test("the qdisc request urunc sends is the exact datagram tc 6.1 sends", () => {
  const h = decodeMessages(unhex(KERNEL.qdiscAddDatagram))[0];
  assert.deepEqual([h.type, h.flags, h.seq], [36, 0x605, 42]);
  assert.deepEqual(decodeTcMsg(h.payload), {
    family: 0,
    ifindex: 2,
    handle: 0xffff0000,
    parent: 0xfffffff1,
    info: 0,
  });
});

Deno.test("decodeNlMsgErr reads errno, the echoed header and the extended ACK text", () => {
  const [m] = decodeMessages(unhex(KERNEL.eexistDatagram));
  assert.equal(m.type, 2);
  const e = decodeNlMsgErr(m);
  assert.equal(e.errno, 17);
  assert.deepEqual(e.request, { type: 36, flags: 0x605, seq: 42, pid: 0 });
  assert.equal(e.extack, "Exclusivity flag on, cannot modify");
});

Deno.test("decodeNlMsgErr of a plain ACK is errno 0 without text", () => {
  const body = new Uint8Array([
    ...u32(0),
    ...encodeMessage({ type: 19, flags: 5, seq: 3, pid: 0 }, new Uint8Array()),
  ]);
  const e = decodeNlMsgErr({ type: 2, flags: 0x100, seq: 3, pid: 0, payload: body });
  assert.deepEqual([e.errno, e.extack, e.request.seq], [0, null, 3]);
});

Deno.test("ifinfomsg, ifaddrmsg, rtmsg and tcmsg have the uapi layouts", () => {
  assert.equal(
    hex(encodeIfInfoMsg({ family: 0, type: 1, index: 4, flags: 1, change: 1 })),
    "00000100" + "04000000" + "01000000" + "01000000",
  );
  assert.equal(
    hex(encodeIfAddrMsg({ family: 2, prefixlen: 24, flags: 0x80, scope: 0, index: 2 })),
    "02188000" + "02000000",
  );
  assert.equal(
    hex(
      encodeRtMsg({
        family: 2,
        dstLen: 0,
        srcLen: 0,
        tos: 0,
        table: 254,
        protocol: 3,
        scope: 0,
        type: 1,
        flags: 0,
      }),
    ),
    "02000000fe030001" + "00000000",
  );
  assert.equal(
    hex(
      encodeTcMsg({
        family: 0,
        ifindex: 4,
        handle: 0,
        parent: 0xffff0000,
        info: filterInfo(49152, 3),
      }),
    ),
    "00000000" + "04000000" + "00000000" + "0000ffff" + "0003" + "00c0",
  );
});

Deno.test("family headers decode what they encode", () => {
  const ii = { family: 0, type: 772, index: 1, flags: 0x10049, change: 0 };
  assert.deepEqual(decodeIfInfoMsg(encodeIfInfoMsg(ii)), ii);
  const ia = { family: 10, prefixlen: 64, flags: 0x80, scope: 253, index: 3 };
  assert.deepEqual(decodeIfAddrMsg(encodeIfAddrMsg(ia)), ia);
  const rt = {
    family: 2,
    dstLen: 24,
    srcLen: 0,
    tos: 0,
    table: 254,
    protocol: 2,
    scope: 253,
    type: 1,
    flags: 0,
  };
  assert.deepEqual(decodeRtMsg(encodeRtMsg(rt)), rt);
  const tc = { family: 0, ifindex: 7, handle: 0x80000800, parent: 0xffff0000, info: 0xc0000300 };
  assert.deepEqual(decodeTcMsg(encodeTcMsg(tc)), tc);
});

Deno.test("short family headers are rejected, not read past the end", () => {
  assert.throws(() => decodeTcMsg(new Uint8Array(19)), /tcmsg needs 20 bytes, got 19/);
  assert.throws(() => decodeIfInfoMsg(new Uint8Array(8)), NetlinkCodecError);
});

Deno.test("filter info keeps the priority high and the protocol in network order", () => {
  assert.equal(filterInfo(49152, 0x0003), 0xc0000300);
  assert.equal(filterInfo(1, 0x0800), 0x00010008);
  assert.deepEqual(splitFilterInfo(0xc0000300), { prio: 49152, protocol: 3 });
});

Deno.test("IPv4 text and bytes convert both ways; bad text is refused", () => {
  assert.deepEqual(Array.from(parseIPv4("10.99.0.2")), [10, 99, 0, 2]);
  assert.equal(formatIP(Uint8Array.of(192, 168, 1, 254)), "192.168.1.254");
  for (const bad of ["10.0.0", "10.0.0.256", "a.b.c.d", "1.2.3.4.5", ""]) {
    assert.throws(() => parseIPv4(bad), NetlinkCodecError, bad);
  }
});

Deno.test("IPv6 parses the compressed and embedded-IPv4 forms and prints RFC 5952", () => {
  const cases: [string, string][] = [
    ["fd00::1", "fd00::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80:0:0:0:1:2:3:4", "fe80::1:2:3:4"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:DB8::", "2001:db8::"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"],
  ];
  for (const [input, printed] of cases) assert.equal(formatIP(parseIPv6(input)), printed, input);
  for (const bad of [":::", "1::2::3", "1:2:3:4:5:6:7", "12345::", "g::1", "1:2:3:4:5:6:7:8:9"]) {
    assert.throws(() => parseIPv6(bad), NetlinkCodecError, bad);
  }
});

Deno.test("prefix lengths become dotted masks", () => {
  assert.deepEqual([0, 8, 16, 20, 24, 30, 32].map(prefixToMask), [
    "0.0.0.0",
    "255.0.0.0",
    "255.255.0.0",
    "255.255.240.0",
    "255.255.255.0",
    "255.255.255.252",
    "255.255.255.255",
  ]);
  assert.throws(() => prefixToMask(33), NetlinkCodecError);
});

Deno.test("MAC addresses print as lowercase colon hex", () => {
  assert.equal(formatMac(Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0xab)), "52:54:00:12:34:ab");
});

Deno.test("scalar readers refuse short payloads", () => {
  assert.throws(() => readU32(new Uint8Array(3)), NetlinkCodecError);
  assert.equal(readU32(u32(0xffffffff)), 0xffffffff);
});
