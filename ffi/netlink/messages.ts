// rtnetlink requests (bytes to send) and replies (typed objects), pure.
// Request layouts follow the uapi structs; the tc filter request is byte-identical
// to what iproute2 6.1 sends for the equivalent `tc filter add` (see the unit tests).

import {
  type Attr,
  attrMap,
  concat,
  decodeAttrs,
  decodeIfAddrMsg,
  decodeIfInfoMsg,
  decodeRtMsg,
  decodeTcMsg,
  encodeAttrs,
  encodeIfAddrMsg,
  encodeIfInfoMsg,
  encodeRtMsg,
  encodeTcMsg,
  filterInfo,
  formatIP,
  formatMac,
  IFADDRMSG_LEN,
  IFINFOMSG_LEN,
  NetlinkCodecError,
  parseIPv4,
  parseIPv6,
  readStr,
  readU32,
  readU8,
  RTMSG_LEN,
  splitFilterInfo,
  strz,
  TCMSG_LEN,
  u32,
} from "./codec.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  ETH_P_ALL,
  IFA,
  IFA_F_SECONDARY,
  IFF_UP,
  IFLA,
  IFLA_INFO,
  IFLA_TUN,
  NLA_F_NESTED,
  NLM_F,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RTA,
  RTM,
  RTN_UNICAST,
  TC_ACT,
  TC_H_INGRESS,
  TC_H_INGRESS_HANDLE,
  TC_U32_TERMINAL,
  TCA,
  TCA_ACT,
  TCA_EGRESS_REDIR,
  TCA_MIRRED,
  TCA_U32,
} from "./constants.ts";

/** One request: message type, NLM_F_* flags besides REQUEST/ACK, the payload, and words for errors. */
export interface Request {
  type: number;
  flags: number;
  body: Uint8Array;
  /** e.g. "RTM_NEWQDISC ingress"; the socket prefixes nothing, this is the whole operation name. */
  op: string;
  /** e.g. "on eth0"; appended after `op` in error messages. */
  subject: string;
}

/** A device named for error messages; `index` is what the kernel needs. */
export interface LinkRef {
  index: number;
  name: string;
}

// -------------------------------------------------------------------- links

export interface TunInfo {
  /** Owning uid, null when unset (-1). */
  owner: number | null;
  group: number | null;
  /** 1 = tun, 2 = tap (IFF_TUN/IFF_TAP). */
  type: number;
  pi: boolean;
  vnetHdr: boolean;
  persist: boolean;
  multiQueue: boolean;
}

export interface Link {
  index: number;
  name: string;
  /** ARPHRD_* (1 = Ethernet, 772 = loopback). */
  type: number;
  flags: number;
  mtu: number;
  mac: string | null;
  alias: string | null;
  /** IFLA_INFO_KIND ("veth", "tun", ...), null for devices without rtnl link ops. */
  kind: string | null;
  tun: TunInfo | null;
}

const ifinfo = (index: number, flags = 0, change = 0) =>
  encodeIfInfoMsg({ family: AF_UNSPEC, type: 0, index, flags, change });

export function dumpLinks(): Request {
  return {
    type: RTM.GETLINK,
    flags: NLM_F.DUMP,
    body: ifinfo(0),
    op: "RTM_GETLINK",
    subject: "(dump)",
  };
}

/** Look up one link by name (index 0 + IFLA_IFNAME) or by index. */
export function getLink(key: string | number): Request {
  const body = typeof key === "number"
    ? ifinfo(key)
    : concat(ifinfo(0), encodeAttrs([{ type: IFLA.IFNAME, data: strz(key) }]));
  return {
    type: RTM.GETLINK,
    flags: 0,
    body,
    op: "RTM_GETLINK",
    subject: typeof key === "number" ? `ifindex ${key}` : key,
  };
}

export interface LinkChange {
  up?: boolean;
  mtu?: number;
  /** IFLA_IFALIAS; "" removes the alias. */
  alias?: string;
}

export function setLink(dev: LinkRef, change: LinkChange): Request {
  const attrs: Attr[] = [];
  if (change.mtu !== undefined) attrs.push({ type: IFLA.MTU, data: u32(change.mtu) });
  if (change.alias !== undefined) {
    attrs.push({ type: IFLA.IFALIAS, data: new TextEncoder().encode(change.alias) });
  }
  const up = change.up;
  const what = [
    up === undefined ? null : up ? "up" : "down",
    change.mtu === undefined ? null : `mtu ${change.mtu}`,
    change.alias === undefined ? null : `alias ${JSON.stringify(change.alias)}`,
  ].filter((x) => x !== null).join(", ");
  return {
    type: RTM.SETLINK,
    flags: 0,
    body: concat(
      ifinfo(dev.index, up ? IFF_UP : 0, up === undefined ? 0 : IFF_UP),
      encodeAttrs(attrs),
    ),
    op: `RTM_SETLINK ${what}`,
    subject: `on ${dev.name}`,
  };
}

export function deleteLink(dev: LinkRef): Request {
  return {
    type: RTM.DELLINK,
    flags: 0,
    body: ifinfo(dev.index),
    op: "RTM_DELLINK",
    subject: dev.name,
  };
}

function parseTunInfo(data: Uint8Array): TunInfo {
  const a = attrMap(decodeAttrs(data));
  const flag = (t: number) => a.has(t) && readU8(a.get(t)!) !== 0;
  const id = (t: number) => {
    const v = a.get(t);
    // The kernel omits OWNER/GROUP when unset (INVALID_UID).
    return v === undefined ? null : readU32(v);
  };
  return {
    owner: id(IFLA_TUN.OWNER),
    group: id(IFLA_TUN.GROUP),
    type: a.has(IFLA_TUN.TYPE) ? readU8(a.get(IFLA_TUN.TYPE)!) : 0,
    pi: flag(IFLA_TUN.PI),
    vnetHdr: flag(IFLA_TUN.VNET_HDR),
    persist: flag(IFLA_TUN.PERSIST),
    multiQueue: flag(IFLA_TUN.MULTI_QUEUE),
  };
}

export function parseLink(payload: Uint8Array): Link {
  const h = decodeIfInfoMsg(payload);
  const a = attrMap(decodeAttrs(payload.subarray(IFINFOMSG_LEN)));
  let kind: string | null = null;
  let tun: TunInfo | null = null;
  const info = a.get(IFLA.LINKINFO);
  if (info !== undefined) {
    const li = attrMap(decodeAttrs(info));
    const k = li.get(IFLA_INFO.KIND);
    if (k !== undefined) kind = readStr(k);
    const d = li.get(IFLA_INFO.DATA);
    if (kind === "tun" && d !== undefined) tun = parseTunInfo(d);
  }
  const name = a.get(IFLA.IFNAME);
  const mac = a.get(IFLA.ADDRESS);
  const alias = a.get(IFLA.IFALIAS);
  return {
    index: h.index,
    name: name === undefined ? "" : readStr(name),
    type: h.type,
    flags: h.flags,
    mtu: a.has(IFLA.MTU) ? readU32(a.get(IFLA.MTU)!) : 0,
    mac: mac === undefined || mac.length === 0 ? null : formatMac(mac),
    alias: alias === undefined ? null : readStr(alias),
    kind,
    tun,
  };
}

// ---------------------------------------------------------------- addresses

export interface Address {
  family: 4 | 6;
  index: number;
  address: string;
  prefixlen: number;
  flags: number;
  scope: number;
  label: string | null;
}

/** "10.0.0.2/24" or "fd00::2/64" → family, bytes, prefix. */
export function parseCidr(cidr: string): { family: 4 | 6; bytes: Uint8Array; prefixlen: number } {
  const slash = cidr.indexOf("/");
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = ip.includes(":") ? 6 : 4;
  const max = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : cidr.slice(slash + 1);
  const prefixlen = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefixlen > max) {
    throw new NetlinkCodecError(`invalid prefix length in ${JSON.stringify(cidr)}`);
  }
  return { family, bytes: family === 4 ? parseIPv4(ip) : parseIPv6(ip), prefixlen };
}

export type AddressOp = "add" | "replace" | "delete";

export function address(op: AddressOp, dev: LinkRef, cidr: string): Request {
  const { family, bytes, prefixlen } = parseCidr(cidr);
  const head = encodeIfAddrMsg({
    family: family === 4 ? AF_INET : AF_INET6,
    prefixlen,
    flags: 0,
    scope: RT_SCOPE_UNIVERSE,
    index: dev.index,
  });
  // IPv4 carries the local address in IFA_LOCAL (IFA_ADDRESS is the peer on
  // point-to-point links); IPv6 uses IFA_ADDRESS only.
  const attrs: Attr[] = family === 4
    ? [{ type: IFA.LOCAL, data: bytes }, { type: IFA.ADDRESS, data: bytes }]
    : [{ type: IFA.ADDRESS, data: bytes }];
  const type = op === "delete" ? RTM.DELADDR : RTM.NEWADDR;
  const flags = op === "add"
    ? NLM_F.CREATE | NLM_F.EXCL
    : op === "replace"
    ? NLM_F.CREATE | NLM_F.REPLACE
    : 0;
  return {
    type,
    flags,
    body: concat(head, encodeAttrs(attrs)),
    op: `${op === "delete" ? "RTM_DELADDR" : "RTM_NEWADDR"} ${cidr}`,
    subject: `${op === "delete" ? "from" : "on"} ${dev.name}`,
  };
}

export function dumpAddresses(family: 4 | 6 | 0 = 0): Request {
  return {
    type: RTM.GETADDR,
    flags: NLM_F.DUMP,
    body: encodeIfAddrMsg({
      family: family === 4 ? AF_INET : family === 6 ? AF_INET6 : AF_UNSPEC,
      prefixlen: 0,
      flags: 0,
      scope: 0,
      index: 0,
    }),
    op: "RTM_GETADDR",
    subject: "(dump)",
  };
}

export function parseAddress(payload: Uint8Array): Address | null {
  const h = decodeIfAddrMsg(payload);
  if (h.family !== AF_INET && h.family !== AF_INET6) return null;
  const a = attrMap(decodeAttrs(payload.subarray(IFADDRMSG_LEN)));
  const bytes = a.get(IFA.LOCAL) ?? a.get(IFA.ADDRESS);
  if (bytes === undefined) return null;
  const label = a.get(IFA.LABEL);
  // IFA_FLAGS (u32) supersedes the 8-bit header field when present.
  const flags = a.has(IFA.FLAGS) ? readU32(a.get(IFA.FLAGS)!) : h.flags;
  return {
    family: h.family === AF_INET ? 4 : 6,
    index: h.index,
    address: formatIP(bytes),
    prefixlen: h.prefixlen,
    flags,
    scope: h.scope,
    label: label === undefined ? null : readStr(label),
  };
}

export const isSecondary = (a: Address): boolean => (a.flags & IFA_F_SECONDARY) !== 0;

// ------------------------------------------------------------------- routes

export interface Route {
  family: 4 | 6;
  table: number;
  dst: string | null;
  dstLen: number;
  gateway: string | null;
  oif: number | null;
  priority: number;
  type: number;
  scope: number;
}

export function dumpRoutes(family: 4 | 6): Request {
  return {
    type: RTM.GETROUTE,
    flags: NLM_F.DUMP,
    body: encodeRtMsg({
      family: family === 4 ? AF_INET : AF_INET6,
      dstLen: 0,
      srcLen: 0,
      tos: 0,
      table: 0,
      protocol: 0,
      scope: 0,
      type: 0,
      flags: 0,
    }),
    op: "RTM_GETROUTE",
    subject: "(dump)",
  };
}

/** One route; a multipath route reports its first next hop. */
export function parseRoute(payload: Uint8Array): Route | null {
  const h = decodeRtMsg(payload);
  if (h.family !== AF_INET && h.family !== AF_INET6) return null;
  const a = attrMap(decodeAttrs(payload.subarray(RTMSG_LEN)));
  let gw = a.get(RTA.GATEWAY);
  let oif = a.has(RTA.OIF) ? readU32(a.get(RTA.OIF)!) : null;
  const mp = a.get(RTA.MULTIPATH);
  if (mp !== undefined && mp.length >= 8) {
    // struct rtnexthop { u16 len; u8 flags; u8 hops; int ifindex; } + attributes
    const v = new DataView(mp.buffer, mp.byteOffset, mp.byteLength);
    const len = v.getUint16(0, true);
    oif ??= v.getInt32(4, true);
    gw ??= attrMap(decodeAttrs(mp.subarray(8, Math.min(len, mp.length)))).get(RTA.GATEWAY);
  }
  const dst = a.get(RTA.DST);
  return {
    family: h.family === AF_INET ? 4 : 6,
    table: a.has(RTA.TABLE) ? readU32(a.get(RTA.TABLE)!) : h.table,
    dst: dst === undefined ? null : formatIP(dst),
    dstLen: h.dstLen,
    gateway: gw === undefined ? null : formatIP(gw),
    oif,
    priority: a.has(RTA.PRIORITY) ? readU32(a.get(RTA.PRIORITY)!) : 0,
    type: h.type,
    scope: h.scope,
  };
}

/** Is this the main table's default route (0.0.0.0/0 or ::/0)? */
export const isDefaultRoute = (r: Route): boolean =>
  r.dstLen === 0 && r.table === RT_TABLE_MAIN && r.type === RTN_UNICAST;

// ------------------------------------------------------------------- qdiscs

export interface Qdisc {
  ifindex: number;
  handle: number;
  parent: number;
  kind: string;
}

export function dumpQdiscs(): Request {
  return {
    type: RTM.GETQDISC,
    flags: NLM_F.DUMP,
    body: encodeTcMsg({ family: AF_UNSPEC, ifindex: 0, handle: 0, parent: 0, info: 0 }),
    op: "RTM_GETQDISC",
    subject: "(dump)",
  };
}

export function ingressQdisc(op: "add" | "delete", dev: LinkRef): Request {
  return {
    type: op === "add" ? RTM.NEWQDISC : RTM.DELQDISC,
    flags: op === "add" ? NLM_F.CREATE | NLM_F.EXCL : 0,
    body: concat(
      encodeTcMsg({
        family: AF_UNSPEC,
        ifindex: dev.index,
        handle: TC_H_INGRESS_HANDLE,
        parent: TC_H_INGRESS,
        info: 0,
      }),
      encodeAttrs([{ type: TCA.KIND, data: strz("ingress") }]),
    ),
    op: `${op === "add" ? "RTM_NEWQDISC" : "RTM_DELQDISC"} ingress`,
    subject: `on ${dev.name}`,
  };
}

export function parseQdisc(payload: Uint8Array): Qdisc {
  const h = decodeTcMsg(payload);
  const kind = attrMap(decodeAttrs(payload.subarray(TCMSG_LEN))).get(TCA.KIND);
  return {
    ifindex: h.ifindex,
    handle: h.handle,
    parent: h.parent,
    kind: kind ? readStr(kind) : "",
  };
}

// ------------------------------------------------------------------ filters

export interface MirredAction {
  kind: "mirred";
  /** TC_ACT_* verdict (4 = stolen for a redirect). */
  action: number;
  /** TCA_EGRESS_REDIR, TCA_EGRESS_MIRROR, ... */
  eaction: number;
  ifindex: number;
}
export type Action = MirredAction | { kind: string };

export interface Filter {
  ifindex: number;
  parent: number;
  prio: number;
  protocol: number;
  handle: number;
  kind: string;
  chain: number | null;
  /** u32 keys (mask, value, offset) of a u32 node; empty for the table/header entries. */
  u32Keys: { mask: number; value: number; off: number }[];
  actions: Action[];
}

export interface RedirectFilterSpec {
  dev: LinkRef;
  /** Where the packets go (egress of this device). */
  to: LinkRef;
  /** Filter parent: TC_H_INGRESS_HANDLE (ffff:) for the ingress qdisc. */
  parent: number;
  prio: number;
  protocol?: number;
}

/** struct tc_mirred: tc_gen (index, capab, action, refcnt, bindcnt) + eaction + ifindex = 28 bytes. */
export function encodeMirredParms(
  p: { action: number; eaction: number; ifindex: number },
): Uint8Array {
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setInt32(8, p.action, true);
  v.setInt32(20, p.eaction, true);
  v.setUint32(24, p.ifindex >>> 0, true);
  return b;
}

/** struct tc_u32_sel with one key that matches every packet (`match u32 0 0`); terminal when it has an action. */
export function encodeMatchAllSel(terminal: boolean): Uint8Array {
  // sel: flags, offshift, nkeys, pad, offmask(be16), off, offoff, hoff, hmask(be32) = 16 bytes;
  // key: mask(be32), val(be32), off, offmask = 16 bytes.
  const b = new Uint8Array(32);
  b[0] = terminal ? TC_U32_TERMINAL : 0;
  b[2] = 1;
  return b;
}

export interface MatchAllFilterSpec {
  dev: LinkRef;
  parent: number;
  prio: number;
  protocol?: number;
  /** Redirect matching packets to the egress of this device; no action when absent. */
  redirectTo?: LinkRef;
}

/**
 * `tc filter add dev D parent P protocol all prio N u32 match u32 0 0
 *  [action mirred egress redirect dev T]`. u32 with one zero mask/value key
 * matches every frame; cls_matchall would be simpler but is not built everywhere.
 */
export function addU32MatchAll(f: MatchAllFilterSpec): Request {
  const options: Attr[] = [];
  if (f.redirectTo !== undefined) {
    const action: Attr = {
      type: 1, // action order 1
      attrs: [
        { type: TCA_ACT.KIND, data: strz("mirred") },
        {
          type: TCA_ACT.OPTIONS | NLA_F_NESTED,
          attrs: [{
            type: TCA_MIRRED.PARMS,
            data: encodeMirredParms({
              action: TC_ACT.STOLEN,
              eaction: TCA_EGRESS_REDIR,
              ifindex: f.redirectTo.index,
            }),
          }],
        },
      ],
    };
    options.push({ type: TCA_U32.ACT, attrs: [action] });
  }
  options.push({ type: TCA_U32.SEL, data: encodeMatchAllSel(f.redirectTo !== undefined) });
  return {
    type: RTM.NEWTFILTER,
    flags: NLM_F.CREATE | NLM_F.EXCL,
    body: concat(
      encodeTcMsg({
        family: AF_UNSPEC,
        ifindex: f.dev.index,
        handle: 0,
        parent: f.parent,
        info: filterInfo(f.prio, f.protocol ?? ETH_P_ALL),
      }),
      encodeAttrs([{ type: TCA.KIND, data: strz("u32") }, { type: TCA.OPTIONS, attrs: options }]),
    ),
    op: f.redirectTo === undefined
      ? "RTM_NEWTFILTER u32"
      : `RTM_NEWTFILTER u32 redirect to ${f.redirectTo.name}`,
    subject: `on ${f.dev.name}`,
  };
}

export function addRedirectFilter(f: RedirectFilterSpec): Request {
  return addU32MatchAll({
    dev: f.dev,
    parent: f.parent,
    prio: f.prio,
    protocol: f.protocol,
    redirectTo: f.to,
  });
}

/** Delete every filter of one priority/protocol (a whole classifier instance). */
export function deleteFilter(
  f: { dev: LinkRef; parent: number; prio: number; protocol?: number; kind?: string },
): Request {
  const attrs: Attr[] = f.kind === undefined ? [] : [{ type: TCA.KIND, data: strz(f.kind) }];
  return {
    type: RTM.DELTFILTER,
    flags: 0,
    body: concat(
      encodeTcMsg({
        family: AF_UNSPEC,
        ifindex: f.dev.index,
        handle: 0,
        parent: f.parent,
        info: filterInfo(f.prio, f.protocol ?? ETH_P_ALL),
      }),
      encodeAttrs(attrs),
    ),
    op: `RTM_DELTFILTER prio ${f.prio}`,
    subject: `on ${f.dev.name}`,
  };
}

export function dumpFilters(dev: LinkRef, parent: number): Request {
  return {
    type: RTM.GETTFILTER,
    flags: NLM_F.DUMP,
    body: encodeTcMsg({ family: AF_UNSPEC, ifindex: dev.index, handle: 0, parent, info: 0 }),
    op: "RTM_GETTFILTER",
    subject: `on ${dev.name}`,
  };
}

function parseActions(data: Uint8Array): Action[] {
  const out: Action[] = [];
  for (const slot of decodeAttrs(data).sort((x, y) => x.type - y.type)) {
    const a = attrMap(decodeAttrs(slot.data));
    const kind = a.has(TCA_ACT.KIND) ? readStr(a.get(TCA_ACT.KIND)!) : "";
    const opts = a.get(TCA_ACT.OPTIONS);
    const parms = opts && attrMap(decodeAttrs(opts)).get(TCA_MIRRED.PARMS);
    if (kind === "mirred" && parms !== undefined && parms.length >= 28) {
      const v = new DataView(parms.buffer, parms.byteOffset, parms.byteLength);
      out.push({
        kind,
        action: v.getInt32(8, true),
        eaction: v.getInt32(20, true),
        ifindex: v.getUint32(24, true),
      });
    } else out.push({ kind });
  }
  return out;
}

function parseU32Keys(sel: Uint8Array): Filter["u32Keys"] {
  if (sel.length < 16) return [];
  const v = new DataView(sel.buffer, sel.byteOffset, sel.byteLength);
  const n = sel[2];
  const keys: Filter["u32Keys"] = [];
  for (let i = 0; i < n && 16 + 16 * (i + 1) <= sel.length; i++) {
    const at = 16 + 16 * i;
    keys.push({
      mask: v.getUint32(at, false),
      value: v.getUint32(at + 4, false),
      off: v.getInt32(at + 8, true),
    });
  }
  return keys;
}

export function parseFilter(payload: Uint8Array): Filter {
  const h = decodeTcMsg(payload);
  const a = attrMap(decodeAttrs(payload.subarray(TCMSG_LEN)));
  const kind = a.has(TCA.KIND) ? readStr(a.get(TCA.KIND)!) : "";
  const { prio, protocol } = splitFilterInfo(h.info);
  let u32Keys: Filter["u32Keys"] = [];
  let actions: Action[] = [];
  const opts = a.get(TCA.OPTIONS);
  if (kind === "u32" && opts !== undefined) {
    const o = attrMap(decodeAttrs(opts));
    const sel = o.get(TCA_U32.SEL);
    if (sel !== undefined) u32Keys = parseU32Keys(sel);
    const act = o.get(TCA_U32.ACT);
    if (act !== undefined) actions = parseActions(act);
  }
  return {
    ifindex: h.ifindex,
    parent: h.parent,
    prio,
    protocol,
    handle: h.handle,
    kind,
    chain: a.has(TCA.CHAIN) ? readU32(a.get(TCA.CHAIN)!) : null,
    u32Keys,
    actions,
  };
}
