// Encode → decode round trips over random inputs (seeded, so failures reproduce).
import assert from "node:assert/strict";
import {
  type Attr,
  decodeAttrs,
  decodeIfAddrMsg,
  decodeIfInfoMsg,
  decodeMessages,
  decodeRtMsg,
  decodeTcMsg,
  encodeAttrs,
  encodeIfAddrMsg,
  encodeIfInfoMsg,
  encodeMessage,
  encodeRtMsg,
  encodeTcMsg,
  formatIP,
  parseIPv4,
  parseIPv6,
} from "../../../ffi/netlink/codec.ts";
import { NLA_F_NESTED } from "../../../ffi/netlink/constants.ts";
import { addRedirectFilter, parseFilter, parseLink } from "../../../ffi/netlink/messages.ts";
import { concat, strz, u32 } from "../../../ffi/netlink/codec.ts";

/** mulberry32: tiny, deterministic. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  return { int, bytes };
}

const SEEDS = 300;

function randomAttrs(r: ReturnType<typeof rng>, depth: number): Attr[] {
  return Array.from({ length: r.int(5) }, (): Attr => {
    const type = 1 + r.int(0x3ffe);
    if (depth > 0 && r.int(3) === 0) {
      return { type: type | NLA_F_NESTED, attrs: randomAttrs(r, depth - 1) };
    }
    return { type, data: r.bytes(r.int(40)) };
  });
}

/** Decode recursively, following the nested flag the encoder set. */
function decodeTree(b: Uint8Array): Attr[] {
  return decodeAttrs(b).map((a) =>
    a.nested
      ? { type: a.type | NLA_F_NESTED, attrs: decodeTree(a.data) }
      : { type: a.type, data: new Uint8Array(a.data) }
  );
}

Deno.test("property: random nested attribute trees survive encode → decode", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const attrs = randomAttrs(r, 3);
    const bytes = encodeAttrs(attrs);
    assert.equal(bytes.length % 4, 0, `seed ${seed}`);
    assert.deepEqual(decodeTree(bytes), attrs, `seed ${seed}`);
  }
});

Deno.test("property: several messages in one datagram split back into the same headers and payloads", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const msgs = Array.from({ length: 1 + r.int(4) }, () => ({
      type: r.int(0x10000),
      flags: r.int(0x10000),
      seq: r.int(2 ** 32),
      pid: r.int(2 ** 32),
      payload: r.bytes(r.int(64)),
    }));
    const datagram = concat(...msgs.map((m) => encodeMessage(m, m.payload)));
    const back = decodeMessages(datagram).map((m) => ({
      ...m,
      payload: new Uint8Array(m.payload),
    }));
    assert.deepEqual(back, msgs, `seed ${seed}`);
  }
});

Deno.test("property: family headers round-trip for every field value range", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const ii = {
      family: r.int(256),
      type: r.int(0x10000),
      index: r.int(2 ** 31),
      flags: r.int(2 ** 32),
      change: r.int(2 ** 32),
    };
    assert.deepEqual(decodeIfInfoMsg(encodeIfInfoMsg(ii)), ii);
    const ia = {
      family: r.int(256),
      prefixlen: r.int(129),
      flags: r.int(256),
      scope: r.int(256),
      index: r.int(2 ** 32),
    };
    assert.deepEqual(decodeIfAddrMsg(encodeIfAddrMsg(ia)), ia);
    const rt = {
      family: r.int(256),
      dstLen: r.int(129),
      srcLen: r.int(129),
      tos: r.int(256),
      table: r.int(256),
      protocol: r.int(256),
      scope: r.int(256),
      type: r.int(256),
      flags: r.int(2 ** 32),
    };
    assert.deepEqual(decodeRtMsg(encodeRtMsg(rt)), rt);
    const tc = {
      family: r.int(256),
      ifindex: r.int(2 ** 31),
      handle: r.int(2 ** 32),
      parent: r.int(2 ** 32),
      info: r.int(2 ** 32),
    };
    assert.deepEqual(decodeTcMsg(encodeTcMsg(tc)), tc);
  }
});

Deno.test("property: IPv4 and IPv6 addresses print and parse back to the same bytes", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const v4 = r.bytes(4);
    assert.deepEqual(parseIPv4(formatIP(v4)), v4);
    const v6 = r.bytes(16);
    // zero runs are what the compressed form is about: blank some words
    for (let i = 0; i < 8; i++) if (r.int(2) === 0) v6[2 * i] = v6[2 * i + 1] = 0;
    assert.deepEqual(parseIPv6(formatIP(v6)), v6, formatIP(v6));
  }
});

Deno.test("property: a redirect filter request parses back to the same device, prio and target", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const dev = { index: 1 + r.int(2 ** 20), name: "d" };
    const to = { index: 1 + r.int(2 ** 20), name: "t" };
    const prio = 1 + r.int(0xffff);
    const protocol = r.int(0x10000);
    const req = addRedirectFilter({ dev, to, parent: 0xffff0000, prio, protocol });
    const f = parseFilter(req.body);
    assert.deepEqual(
      [f.ifindex, f.parent, f.prio, f.protocol, f.kind, f.u32Keys, f.actions],
      [dev.index, 0xffff0000, prio, protocol, "u32", [{ mask: 0, value: 0, off: 0 }], [{
        kind: "mirred",
        action: 4,
        eaction: 1,
        ifindex: to.index,
      }]],
    );
  }
});

Deno.test("property: a link message built from random fields parses back", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = rng(seed);
    const name = `if${r.int(1e6)}`;
    const mtu = 68 + r.int(65000);
    const mac = r.bytes(6);
    const body = concat(
      encodeIfInfoMsg({
        family: 0,
        type: 1,
        index: 1 + r.int(1000),
        flags: r.int(2 ** 16),
        change: 0,
      }),
      encodeAttrs([
        { type: 3, data: strz(name) },
        { type: 4, data: u32(mtu) },
        { type: 1, data: mac },
        { type: 18, attrs: [{ type: 1, data: strz("veth") }] },
      ]),
    );
    const l = parseLink(body);
    assert.deepEqual([l.name, l.mtu, l.mac, l.kind], [
      name,
      mtu,
      Array.from(mac, (x) => x.toString(16).padStart(2, "0")).join(":"),
      "veth",
    ]);
  }
});
