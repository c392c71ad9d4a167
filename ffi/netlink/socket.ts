// A synchronous NETLINK_ROUTE socket: request + ACK, request + replies, dumps.
// Synchronous on purpose: callers run on the main thread right after setns(),
// and a netlink socket talks to the network namespace it was *created* in.

import { check, errno, errnoName, libc, strerror, SyscallError } from "../libc.ts";
import { decodeMessages, decodeNlMsgErr, encodeMessage, type NlMessage } from "./codec.ts";
import {
  AF_NETLINK,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  NLM_F,
  NLMSG,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
} from "./constants.ts";
import type { Request } from "./messages.ts";
import { ERRNO } from "../errno.ts";

/** The kernel refused a request: which operation, on what, errno and the kernel's own words. */
export class NetlinkError extends Error {
  constructor(
    readonly op: string,
    readonly subject: string,
    readonly errno: number,
    readonly extack: string | null = null,
  ) {
    super(
      `${op} ${subject} failed: ${errnoName(errno)} (${strerror(errno)})${
        extack ? `: ${extack}` : ""
      }`,
    );
    this.name = "NetlinkError";
  }
}

/** Bytes in, datagrams out: the real socket, or a scripted fake in unit tests. */
export interface NetlinkTransport {
  send(datagram: Uint8Array): void;
  /** One datagram; throws on timeout. */
  receive(): Uint8Array;
  close(): void;
}

const RECV_BUFFER = 64 * 1024;
const MSG_TRUNC = 0x20;
const { EINTR, EAGAIN } = ERRNO;
const RECEIVE_TIMEOUT_S = 10;

/** A NETLINK_ROUTE socket in the calling thread's current network namespace. */
export function openRouteTransport(): NetlinkTransport {
  const c = libc();
  const fd = check(
    c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
    "socket",
    "AF_NETLINK",
  );
  try {
    const addr = new Uint8Array(12); // sockaddr_nl: family, pad, pid 0 (kernel assigns), groups 0
    new DataView(addr.buffer).setUint16(0, AF_NETLINK, true);
    check(c.bind(fd, addr, 12), "bind", "AF_NETLINK");
    const one = new Uint8Array(Uint32Array.of(1).buffer);
    // CAP_ACK: errors echo only the request header; EXT_ACK: the kernel explains refusals.
    check(c.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4), "setsockopt", "NETLINK_CAP_ACK");
    check(c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4), "setsockopt", "NETLINK_EXT_ACK");
    const tv = new Uint8Array(new BigInt64Array([BigInt(RECEIVE_TIMEOUT_S), 0n]).buffer);
    check(c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16), "setsockopt", "SO_RCVTIMEO");
  } catch (e) {
    c.close(fd);
    throw e;
  }
  const kernel = new Uint8Array(12);
  new DataView(kernel.buffer).setUint16(0, AF_NETLINK, true);
  const buf = new Uint8Array(RECV_BUFFER);
  return {
    send(d) {
      for (;;) {
        const n = c.sendto(fd, d as Uint8Array<ArrayBuffer>, BigInt(d.length), 0, kernel, 12);
        if (n >= 0) return;
        const e = errno();
        if (e !== EINTR) throw new SyscallError("sendto", e, "netlink");
      }
    },
    receive() {
      for (;;) {
        const n = c.recvfrom(fd, buf, BigInt(buf.length), MSG_TRUNC, null, null);
        if (n >= 0) {
          if (n > buf.length) {
            throw new SyscallError("recvfrom", 90, `netlink reply of ${n} bytes truncated`);
          }
          return buf.slice(0, Number(n));
        }
        const e = errno();
        if (e === EAGAIN) {
          throw new SyscallError("recvfrom", e, `netlink: no reply in ${RECEIVE_TIMEOUT_S} s`);
        }
        if (e !== EINTR) throw new SyscallError("recvfrom", e, "netlink");
      }
    },
    close() {
      c.close(fd);
    },
  };
}

const MAX_DUMP_RETRIES = 5;

export class NetlinkSocket {
  #seq: number;

  constructor(private readonly transport: NetlinkTransport, firstSeq = Date.now() & 0x7fffffff) {
    this.#seq = firstSeq;
  }

  /** A real socket in the current network namespace. */
  static open(): NetlinkSocket {
    return new NetlinkSocket(openRouteTransport());
  }

  close(): void {
    this.transport.close();
  }

  #send(req: Request, flags: number): number {
    const seq = this.#seq = (this.#seq + 1) >>> 0;
    this.transport.send(
      encodeMessage(
        { type: req.type, flags: NLM_F.REQUEST | flags | req.flags, seq, pid: 0 },
        req.body,
      ),
    );
    return seq;
  }

  /** Send with NLM_F_ACK; return the replies (if any) that preceded the ACK. */
  request(req: Request): NlMessage[] {
    const seq = this.#send(req, NLM_F.ACK);
    const replies: NlMessage[] = [];
    for (;;) {
      for (const m of decodeMessages(this.transport.receive())) {
        if (m.seq !== seq) continue; // a late answer to an earlier, abandoned request
        if (m.type === NLMSG.ERROR) {
          const e = decodeNlMsgErr(m);
          if (e.errno !== 0) throw new NetlinkError(req.op, req.subject, e.errno, e.extack);
          return replies;
        }
        if (m.type !== NLMSG.NOOP) replies.push(m);
      }
    }
  }

  /** A dump: every message until NLMSG_DONE, restarted when the kernel flags it inconsistent. */
  dump(req: Request): NlMessage[] {
    for (let attempt = 0;; attempt++) {
      const seq = this.#send(req, 0);
      const out: NlMessage[] = [];
      let interrupted = false;
      let done = false;
      while (!done) {
        for (const m of decodeMessages(this.transport.receive())) {
          if (m.seq !== seq) continue;
          if ((m.flags & NLM_F.DUMP_INTR) !== 0) interrupted = true;
          if (m.type === NLMSG.DONE) {
            const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
            const err = m.payload.length >= 4 ? -v.getInt32(0, true) : 0;
            if (err > 0) throw new NetlinkError(req.op, req.subject, err);
            done = true;
            break;
          }
          if (m.type === NLMSG.ERROR) {
            const e = decodeNlMsgErr(m);
            if (e.errno !== 0) throw new NetlinkError(req.op, req.subject, e.errno, e.extack);
            continue;
          }
          if (m.type !== NLMSG.NOOP) out.push(m);
        }
      }
      // NLM_F_DUMP_INTR: the table changed during the dump; the result may be inconsistent.
      if (!interrupted || attempt >= MAX_DUMP_RETRIES) return out;
    }
  }
}
