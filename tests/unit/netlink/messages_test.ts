import assert from "node:assert/strict";
import { decodeAttrs, encodeMessage, readStr } from "../../../ffi/netlink/codec.ts";
import { IFLA, TC_H_INGRESS_HANDLE } from "../../../ffi/netlink/constants.ts";
import {
  addRedirectFilter,
  address,
  addU32MatchAll,
  deleteFilter,
  deleteLink,
  dumpFilters,
  getLink,
  ingressQdisc,
  isDefaultRoute,
  parseAddress,
  parseCidr,
  parseFilter,
  parseLink,
  parseQdisc,
  parseRoute,
  setLink,
} from "../../../ffi/netlink/messages.ts";
import { hex, KERNEL, unhex } from "./kernel_vectors.ts";

const tap = { index: 4, name: "tap0_urunc" };
const eth0 = { index: 2, name: "eth0" };

Deno.test("the redirect filter request is byte-identical to `tc filter add ... u32 match u32 0 0 action mirred egress redirect`", () => {
  // Captured with strace from iproute2 6.1:
  //   tc filter add dev tap0_urunc parent ffff: protocol all prio 49152 u32 match u32 0 0 \
  //      action mirred egress redirect dev eth0      (tap0_urunc = 4, eth0 = 3)
  const tc61 = "00000000" + "04000000" + "00000000" + "0000ffff" + "000300c0" + // tcmsg
    "08000100" + "75333200" + // TCA_KIND "u32"
    "60000200" + // TCA_OPTIONS (96)
    "38000700" + "34000100" + // TCA_U32_ACT, action order 1
    "0b000100" + "6d69727265640000" + // TCA_ACT_KIND "mirred"
    "24000280" + "20000200" + // TCA_ACT_OPTIONS (nested flag), TCA_MIRRED_PARMS (28 bytes)
    "00000000" + "00000000" + "04000000" + "00000000" + "00000000" + "01000000" + "03000000" +
    "24000500" + // TCA_U32_SEL: terminal, 1 key, key mask 0 value 0
    "01000100" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" +
    "00000000";
  const req = addRedirectFilter({
    dev: tap,
    to: { index: 3, name: "eth0" },
    parent: TC_H_INGRESS_HANDLE,
    prio: 49152,
  });
  assert.equal(hex(req.body), tc61);
  assert.equal(req.type, 44);
  assert.equal(req.flags, 0x600); // CREATE | EXCL, as tc sends
  assert.equal(`${req.op} ${req.subject}`, "RTM_NEWTFILTER u32 redirect to eth0 on tap0_urunc");
});

Deno.test("a match-all filter without an action is not terminal and has no action list", () => {
  const req = addU32MatchAll({ dev: tap, parent: TC_H_INGRESS_HANDLE, prio: 1 });
  const opts = decodeAttrs(decodeAttrs(req.body.subarray(20))[1].data);
  assert.deepEqual(opts.map((a) => a.type), [5]);
  assert.equal(opts[0].data[0], 0);
});

Deno.test("the ingress qdisc request matches tc's (handle ffff:, parent ffff:fff1, kind ingress)", () => {
  const req = ingressQdisc("add", eth0);
  assert.equal(
    hex(encodeMessage({ type: req.type, flags: 0x5 | req.flags, seq: 42, pid: 0 }, req.body)),
    KERNEL.qdiscAddDatagram,
  );
  const del = ingressQdisc("delete", eth0);
  assert.deepEqual([del.type, del.flags, hex(del.body)], [37, 0, hex(req.body)]);
  assert.equal(`${req.op} ${req.subject}`, "RTM_NEWQDISC ingress on eth0");
});

Deno.test("setLink encodes up/down in flags+change and MTU/alias as attributes", () => {
  const up = setLink(tap, { up: true });
  assert.equal(hex(up.body), "00000000" + "04000000" + "01000000" + "01000000");
  const down = setLink(tap, { up: false });
  assert.equal(hex(down.body), "00000000" + "04000000" + "00000000" + "01000000");
  const both = setLink(tap, { mtu: 1450, alias: "urunc:c1" });
  assert.equal(
    hex(both.body),
    "00000000" + "04000000" + "00000000" + "00000000" + "08000400" + "aa050000" + "0c001400" +
      "7572756e633a6331",
  );
  assert.equal(
    `${both.op} ${both.subject}`,
    'RTM_SETLINK mtu 1450, alias "urunc:c1" on tap0_urunc',
  );
});

Deno.test("getLink by name sends IFLA_IFNAME with index 0; by index sends only the header", () => {
  const byName = getLink("eth0");
  assert.equal(hex(byName.body), "00000000000000000000000000000000" + "090003006574683000000000");
  const byIndex = getLink(7);
  assert.equal(hex(byIndex.body), "00000000070000000000000000000000");
  assert.equal(hex(deleteLink(tap).body), "00000000040000000000000000000000");
});

Deno.test("address requests: IPv4 carries LOCAL and ADDRESS, IPv6 only ADDRESS; flags per operation", () => {
  const add = address("add", eth0, "10.99.0.2/24");
  assert.equal(
    hex(add.body),
    "02180000" + "02000000" + "08000200" + "0a630002" + "08000100" + "0a630002",
  );
  assert.deepEqual([add.type, add.flags], [20, 0x600]);
  assert.equal(address("replace", eth0, "10.99.0.2/24").flags, 0x500);
  const del = address("delete", eth0, "fd00::2/64");
  assert.deepEqual([del.type, del.flags], [21, 0]);
  assert.equal(
    hex(del.body),
    "0a400000" + "02000000" + "14000100" + "fd000000000000000000000000000002",
  );
  assert.equal(`${add.op} ${add.subject}`, "RTM_NEWADDR 10.99.0.2/24 on eth0");
});

Deno.test("parseCidr takes the family from the text and refuses bad prefixes", () => {
  assert.deepEqual(parseCidr("10.0.0.1").prefixlen, 32);
  assert.equal(parseCidr("fe80::1/64").family, 6);
  assert.throws(() => parseCidr("10.0.0.1/33"), /invalid prefix length/);
  assert.throws(() => parseCidr("10.0.0.1/x"), /invalid prefix length/);
});

Deno.test("filter deletion names prio, protocol and kind in the header and TCA_KIND", () => {
  const req = deleteFilter({ dev: eth0, parent: TC_H_INGRESS_HANDLE, prio: 49152, kind: "u32" });
  assert.equal(
    hex(req.body),
    "00000000" + "02000000" + "00000000" + "0000ffff" + "000300c0" + "08000100" + "75333200",
  );
  assert.equal(
    hex(dumpFilters(eth0, TC_H_INGRESS_HANDLE).body),
    "00000000" + "02000000" + "00000000" + "0000ffff" + "00000000",
  );
});

Deno.test("parseLink reads a real tap: name, mtu, MAC, alias and tun owner/group/persist", () => {
  const l = parseLink(unhex(KERNEL.tapLink[0]));
  assert.deepEqual(
    {
      index: l.index,
      name: l.name,
      type: l.type,
      mtu: l.mtu,
      mac: l.mac,
      alias: l.alias,
      kind: l.kind,
      up: l.flags & 1,
    },
    {
      index: 4,
      name: "tap0_urunc",
      type: 1,
      mtu: 1500,
      mac: "ce:48:33:00:f7:b5",
      alias: "urunc:c1",
      kind: "tun",
      up: 1,
    },
  );
  assert.deepEqual(l.tun, {
    owner: 1000,
    group: 1001,
    type: 2,
    pi: false,
    vnetHdr: true,
    persist: true,
    multiQueue: false,
  });
  // and the raw message really carries IFLA_IFALIAS where we read it
  const alias = decodeAttrs(unhex(KERNEL.tapLink[0]).subarray(16)).find((a) =>
    a.type === IFLA.IFALIAS
  )!;
  assert.equal(readStr(alias.data), "urunc:c1");
});

Deno.test("parseFilter reads the kernel's u32 dump: header, hash table and the node with its mirred action", () => {
  const fs = KERNEL.eth0Filters.map((x) => parseFilter(unhex(x)));
  assert.deepEqual(fs.map((f) => [f.kind, f.prio, f.protocol, f.handle.toString(16)]), [
    ["u32", 49152, 3, "0"],
    ["u32", 49152, 3, "80000000"],
    ["u32", 49152, 3, "80000800"],
  ]);
  assert.deepEqual(fs[2].u32Keys, [{ mask: 0, value: 0, off: 0 }]);
  assert.deepEqual(fs[2].actions, [{ kind: "mirred", action: 4, eaction: 1, ifindex: 4 }]);
  assert.equal(fs[2].parent, TC_H_INGRESS_HANDLE);
});

Deno.test("parseRoute finds the main-table default route with its gateway and output interface", () => {
  const rs = KERNEL.routes4.map((x) => parseRoute(unhex(x))!);
  const defaults = rs.filter(isDefaultRoute);
  assert.equal(defaults.length, 1);
  assert.deepEqual([defaults[0].gateway, defaults[0].oif, defaults[0].table], [
    "10.99.0.1",
    2,
    254,
  ]);
  assert.ok(rs.some((r) => r.dst === "10.99.0.0" && r.dstLen === 24 && r.gateway === null));
  assert.ok(rs.filter((r) => r.table === 255).every((r) => !isDefaultRoute(r)));
});

Deno.test("parseRoute takes the first hop of a multipath route", () => {
  // rtmsg (AF_INET, dst_len 0, table main, unicast) + RTA_MULTIPATH{ rtnexthop{len 16, ifindex 3} + RTA_GATEWAY 10.0.0.1 }
  const payload = unhex(
    "020000" + "00fe040001" + "00000000" + "14000900" + "1000" + "0000" + "03000000" + "08000500" +
      "0a000001",
  );
  const r = parseRoute(payload)!;
  assert.deepEqual([r.oif, r.gateway, isDefaultRoute(r)], [3, "10.0.0.1", true]);
});

Deno.test("parseAddress reads IFA_LOCAL, prefix, label and flags", () => {
  const as = KERNEL.addrs4.map((x) => parseAddress(unhex(x))!);
  assert.deepEqual(as.map((a) => [a.index, `${a.address}/${a.prefixlen}`, a.label, a.scope]), [
    [1, "127.0.0.1/8", "lo", 254],
    [2, "10.99.0.2/24", "eth0", 0],
  ]);
});

Deno.test("parseQdisc reads ingress qdiscs at handle ffff: under parent ffff:fff1", () => {
  const qs = KERNEL.qdiscs.map((x) => parseQdisc(unhex(x)));
  assert.deepEqual(
    qs.filter((q) => q.kind === "ingress").map((q) => [q.ifindex, q.handle, q.parent]),
    [
      [2, 0xffff0000, 0xfffffff1],
      [4, 0xffff0000, 0xfffffff1],
    ],
  );
});
