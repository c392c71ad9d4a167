// Pure netlink framing: message headers, attributes (TLVs, nested, padded to 4
// bytes) and the fixed family headers. No I/O; every function here is tested
// byte for byte. Netlink integers are in host byte order (little endian on every
// architecture urunc supports); tc protocol numbers are the exception (network order).

import {
  NLA_F_NESTED,
  NLA_F_NET_BYTEORDER,
  NLA_TYPE_MASK,
  NLM_F,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR,
} from "./constants.ts";

/** A malformed message from the kernel (or a request we refuse to encode). */
export class NetlinkCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetlinkCodecError";
  }
}

export const align4 = (n: number): number => (n + 3) & ~3;

// ---------------------------------------------------------------- attributes

/** An attribute to encode: raw bytes, or nested attributes. */
export type Attr = { type: number; data: Uint8Array } | { type: number; attrs: Attr[] };

/** A decoded attribute: the type without flag bits, the flag bits, and the payload. */
export interface RawAttr {
  type: number;
  nested: boolean;
  netByteOrder: boolean;
  data: Uint8Array;
}

function attrSize(a: Attr): number {
  return 4 + ("data" in a ? a.data.length : attrsSize(a.attrs));
}

function attrsSize(attrs: readonly Attr[]): number {
  return attrs.reduce((n, a) => n + align4(attrSize(a)), 0);
}

function writeAttrs(attrs: readonly Attr[], out: Uint8Array, view: DataView, at: number): number {
  for (const a of attrs) {
    const len = attrSize(a);
    if (len > 0xffff) throw new NetlinkCodecError(`attribute ${a.type} too long (${len} bytes)`);
    view.setUint16(at, len, true);
    view.setUint16(at + 2, a.type, true);
    if ("data" in a) out.set(a.data, at + 4);
    else writeAttrs(a.attrs, out, view, at + 4);
    at += align4(len);
  }
  return at;
}

/** Encode attributes, each padded to 4 bytes (the last one too, as the kernel expects). */
export function encodeAttrs(attrs: readonly Attr[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(attrsSize(attrs));
  writeAttrs(attrs, out, new DataView(out.buffer), 0);
  return out;
}

/** Decode a run of attributes. Trailing bytes shorter than a header are padding. */
export function decodeAttrs(buf: Uint8Array): RawAttr[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: RawAttr[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = view.getUint16(at, true);
    const raw = view.getUint16(at + 2, true);
    if (len < 4 || at + len > buf.length) {
      throw new NetlinkCodecError(`bad attribute length ${len} at offset ${at} of ${buf.length}`);
    }
    out.push({
      type: raw & NLA_TYPE_MASK,
      nested: (raw & NLA_F_NESTED) !== 0,
      netByteOrder: (raw & NLA_F_NET_BYTEORDER) !== 0,
      data: buf.subarray(at + 4, at + len),
    });
    at += align4(len);
  }
  return out;
}

/** The first attribute of each type (the kernel sends most types once). */
export function attrMap(attrs: readonly RawAttr[]): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const a of attrs) if (!m.has(a.type)) m.set(a.type, a.data);
  return m;
}

// ------------------------------------------------------------- scalar values

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export const u8 = (n: number): Uint8Array => Uint8Array.of(n & 0xff);
export function u16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  view(b).setUint16(0, n, true);
  return b;
}
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  view(b).setUint32(0, n >>> 0, true);
  return b;
}
const enc = new TextEncoder();
const dec = new TextDecoder();
/** A NUL-terminated string attribute (IFNAME, KIND, ...). */
export const strz = (s: string): Uint8Array => enc.encode(s + "\0");

export function readU8(b: Uint8Array): number {
  if (b.length < 1) throw new NetlinkCodecError("u8 attribute is empty");
  return b[0];
}
export function readU16(b: Uint8Array): number {
  if (b.length < 2) throw new NetlinkCodecError(`u16 attribute has ${b.length} bytes`);
  return view(b).getUint16(0, true);
}
export function readU32(b: Uint8Array): number {
  if (b.length < 4) throw new NetlinkCodecError(`u32 attribute has ${b.length} bytes`);
  return view(b).getUint32(0, true);
}
/** A string attribute; stops at the first NUL (the kernel sends NUL-terminated strings). */
export function readStr(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return dec.decode(nul < 0 ? b : b.subarray(0, nul));
}

// ------------------------------------------------------------ message header

export interface NlHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export interface NlMessage extends NlHeader {
  /** Everything after the 16-byte header (family header + attributes). */
  payload: Uint8Array;
}

/** nlmsghdr + payload, the total length rounded up to 4 bytes. */
export function encodeMessage(h: NlHeader, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const len = NLMSG_HDRLEN + payload.length;
  const out = new Uint8Array(align4(len));
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, h.type, true);
  v.setUint16(6, h.flags, true);
  v.setUint32(8, h.seq >>> 0, true);
  v.setUint32(12, h.pid >>> 0, true);
  out.set(payload, NLMSG_HDRLEN);
  return out;
}

/** Split one datagram into messages. */
export function decodeMessages(buf: Uint8Array): NlMessage[] {
  const v = view(buf);
  const out: NlMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= buf.length) {
    const len = v.getUint32(at, true);
    if (len < NLMSG_HDRLEN || at + len > buf.length) {
      throw new NetlinkCodecError(`bad message length ${len} at offset ${at} of ${buf.length}`);
    }
    out.push({
      type: v.getUint16(at + 4, true),
      flags: v.getUint16(at + 6, true),
      seq: v.getUint32(at + 8, true),
      pid: v.getUint32(at + 12, true),
      payload: buf.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += align4(len);
  }
  return out;
}

/** Concatenate a fixed family header and encoded attributes. */
export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function need(b: Uint8Array, n: number, what: string): DataView {
  if (b.length < n) throw new NetlinkCodecError(`${what} needs ${n} bytes, got ${b.length}`);
  return view(b);
}

// ----------------------------------------------------- family fixed headers

/** struct ifinfomsg (16 bytes). */
export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}
export const IFINFOMSG_LEN = 16;

export function encodeIfInfoMsg(m: IfInfoMsg): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(IFINFOMSG_LEN);
  const v = view(b);
  v.setUint8(0, m.family);
  v.setUint16(2, m.type, true);
  v.setInt32(4, m.index, true);
  v.setUint32(8, m.flags >>> 0, true);
  v.setUint32(12, m.change >>> 0, true);
  return b;
}
export function decodeIfInfoMsg(b: Uint8Array): IfInfoMsg {
  const v = need(b, IFINFOMSG_LEN, "ifinfomsg");
  return {
    family: v.getUint8(0),
    type: v.getUint16(2, true),
    index: v.getInt32(4, true),
    flags: v.getUint32(8, true),
    change: v.getUint32(12, true),
  };
}

/** struct ifaddrmsg (8 bytes). */
export interface IfAddrMsg {
  family: number;
  prefixlen: number;
  flags: number;
  scope: number;
  index: number;
}
export const IFADDRMSG_LEN = 8;

export function encodeIfAddrMsg(m: IfAddrMsg): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(IFADDRMSG_LEN);
  const v = view(b);
  v.setUint8(0, m.family);
  v.setUint8(1, m.prefixlen);
  v.setUint8(2, m.flags);
  v.setUint8(3, m.scope);
  v.setUint32(4, m.index >>> 0, true);
  return b;
}
export function decodeIfAddrMsg(b: Uint8Array): IfAddrMsg {
  const v = need(b, IFADDRMSG_LEN, "ifaddrmsg");
  return {
    family: v.getUint8(0),
    prefixlen: v.getUint8(1),
    flags: v.getUint8(2),
    scope: v.getUint8(3),
    index: v.getUint32(4, true),
  };
}

/** struct rtmsg (12 bytes). */
export interface RtMsg {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}
export const RTMSG_LEN = 12;

export function encodeRtMsg(m: RtMsg): Uint8Array<ArrayBuffer> {
  const b = Uint8Array.of(
    m.family,
    m.dstLen,
    m.srcLen,
    m.tos,
    m.table,
    m.protocol,
    m.scope,
    m.type,
    0,
    0,
    0,
    0,
  );
  view(b).setUint32(8, m.flags >>> 0, true);
  return b;
}
export function decodeRtMsg(b: Uint8Array): RtMsg {
  const v = need(b, RTMSG_LEN, "rtmsg");
  return {
    family: b[0],
    dstLen: b[1],
    srcLen: b[2],
    tos: b[3],
    table: b[4],
    protocol: b[5],
    scope: b[6],
    type: b[7],
    flags: v.getUint32(8, true),
  };
}

/** struct tcmsg (20 bytes). `info` is TC_H_MAKE(prio << 16, htons(protocol)) for filters. */
export interface TcMsg {
  family: number;
  ifindex: number;
  handle: number;
  parent: number;
  info: number;
}
export const TCMSG_LEN = 20;

export function encodeTcMsg(m: TcMsg): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(TCMSG_LEN);
  const v = view(b);
  v.setUint8(0, m.family);
  v.setInt32(4, m.ifindex, true);
  v.setUint32(8, m.handle >>> 0, true);
  v.setUint32(12, m.parent >>> 0, true);
  v.setUint32(16, m.info >>> 0, true);
  return b;
}
export function decodeTcMsg(b: Uint8Array): TcMsg {
  const v = need(b, TCMSG_LEN, "tcmsg");
  return {
    family: v.getUint8(0),
    ifindex: v.getInt32(4, true),
    handle: v.getUint32(8, true),
    parent: v.getUint32(12, true),
    info: v.getUint32(16, true),
  };
}

/** tcm_info of a filter: priority in the high half, protocol (network order) in the low. */
export function filterInfo(prio: number, protocol: number): number {
  return ((prio & 0xffff) << 16 | htons(protocol)) >>> 0;
}
export function splitFilterInfo(info: number): { prio: number; protocol: number } {
  return { prio: info >>> 16, protocol: htons(info & 0xffff) };
}
export const htons = (n: number): number => ((n & 0xff) << 8) | ((n >> 8) & 0xff);

/** struct nlmsgerr: the error (negative errno, 0 = ACK) and, after it, the request header and extended-ACK TLVs. */
export interface NlMsgErr {
  /** Positive errno; 0 for an acknowledgement. */
  errno: number;
  /** The header of the request this answers. */
  request: NlHeader;
  /** NLMSGERR_ATTR_MSG text from the kernel, when it gave one. */
  extack: string | null;
}

export function decodeNlMsgErr(msg: NlMessage): NlMsgErr {
  const b = msg.payload;
  const v = need(b, 4 + NLMSG_HDRLEN, "nlmsgerr");
  const error = v.getInt32(0, true);
  const reqLen = v.getUint32(4, true);
  const request: NlHeader = {
    type: v.getUint16(8, true),
    flags: v.getUint16(10, true),
    seq: v.getUint32(12, true),
    pid: v.getUint32(16, true),
  };
  let extack: string | null = null;
  if ((msg.flags & NLM_F.ACK_TLVS) !== 0) {
    // NLM_F_CAPPED: only the request header was echoed; otherwise the whole request.
    const echoed = (msg.flags & NLM_F.CAPPED) !== 0 ? NLMSG_HDRLEN : align4(reqLen);
    const tlvs = b.subarray(Math.min(b.length, 4 + echoed));
    const m = attrMap(decodeAttrs(tlvs)).get(NLMSGERR_ATTR.MSG);
    if (m !== undefined) extack = readStr(m);
  }
  return { errno: error === 0 ? 0 : -error, request, extack };
}

// ---------------------------------------------------------------- addresses

/** "10.0.0.1" → 4 bytes. */
export function parseIPv4(s: string): Uint8Array {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new NetlinkCodecError(`invalid IPv4 address ${JSON.stringify(s)}`);
  }
  return Uint8Array.from(parts.map(Number));
}

/** "fd00::1" → 16 bytes (also accepts an embedded dotted IPv4 tail, "::ffff:1.2.3.4"). */
export function parseIPv6(s: string): Uint8Array {
  const bad = () => new NetlinkCodecError(`invalid IPv6 address ${JSON.stringify(s)}`);
  let text = s;
  if (text.includes(".")) {
    const at = text.lastIndexOf(":");
    if (at < 0) throw bad();
    const v4 = parseIPv4(text.slice(at + 1));
    const hi = ((v4[0] << 8) | v4[1]).toString(16), lo = ((v4[2] << 8) | v4[3]).toString(16);
    text = `${text.slice(0, at + 1)}${hi}:${lo}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const group = (h: string) =>
    h === "" ? [] : h.split(":").map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return parseInt(g, 16);
    });
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) throw bad();
  const words = [...head, ...new Array(8 - total).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** 4 or 16 address bytes → text (IPv6 in RFC 5952 shortest form). */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  if (b.length !== 16) throw new NetlinkCodecError(`address of ${b.length} bytes`);
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
}

/** Prefix length → dotted IPv4 netmask (24 → 255.255.255.0). */
export function prefixToMask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new NetlinkCodecError(`invalid IPv4 prefix length ${prefix}`);
  }
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join(".");
}
