// The shim's side of --console-socket: listen, accept one connection and
// receive the pty master sent with SCM_RIGHTS.
import { check, libc } from "../../ffi/libc.ts";
import { testLibc } from "./test_libc.ts";

export class ConsoleSocket {
  readonly fd: number;
  constructor(readonly path: string) {
    const c = libc();
    this.fd = check(c.socket(1, 1 | 0o2000000, 0), "socket");
    const addr = new Uint8Array(110);
    new DataView(addr.buffer).setUint16(0, 1, true);
    addr.set(new TextEncoder().encode(path), 2);
    check(c.bind(this.fd, addr, 110), "bind", path);
    check(testLibc().listen(this.fd, 1), "listen", path);
  }

  /** Accept the runtime's connection (it connected during create) and return the received fd and name. */
  receive(): { fd: number; name: string } {
    const c = libc();
    const conn = check(testLibc().accept4(this.fd, null, null, 0o2000000), "accept4");
    try {
      const data = new Uint8Array(256);
      const ptr = (b: Uint8Array) =>
        BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b as Uint8Array<ArrayBuffer>)));
      const iov = new Uint8Array(16);
      new DataView(iov.buffer).setBigUint64(0, ptr(data), true);
      new DataView(iov.buffer).setBigUint64(8, BigInt(data.length), true);
      const ctrl = new Uint8Array(64);
      const msg = new Uint8Array(56);
      const mv = new DataView(msg.buffer);
      mv.setBigUint64(16, ptr(iov), true);
      mv.setBigUint64(24, 1n, true);
      mv.setBigUint64(32, ptr(ctrl), true);
      mv.setBigUint64(40, BigInt(ctrl.length), true);
      const n = Number(check(testLibc().recvmsg(conn, msg, 0), "recvmsg"));
      const cv = new DataView(ctrl.buffer);
      if (cv.getInt32(8, true) !== 1 || cv.getInt32(12, true) !== 1) {
        throw new Error("no SCM_RIGHTS in the message");
      }
      return { fd: cv.getInt32(16, true), name: new TextDecoder().decode(data.subarray(0, n)) };
    } finally {
      c.close(conn);
    }
  }

  close(): void {
    libc().close(this.fd);
    try {
      Deno.removeSync(this.path);
    } catch { /* gone */ }
  }
}

/** Read from a raw fd (the pty master) until `pattern` shows up or the deadline passes. */
export async function readFdUntil(
  fd: number,
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  const c = libc();
  const buf = new Uint8Array(4096);
  let text = "";
  const deadline = Date.now() + timeoutMs;
  const pfd = new Uint8Array(8);
  new DataView(pfd.buffer).setInt32(0, fd, true);
  new DataView(pfd.buffer).setInt16(4, 1, true);
  while (Date.now() < deadline && !pattern.test(text)) {
    if (c.poll(pfd, 1n, 50) > 0) {
      const n = Number(c.read(fd, buf, BigInt(buf.length)));
      if (n <= 0) break; // EIO: the slave side is gone
      text += new TextDecoder().decode(buf.subarray(0, n));
    } else await new Promise((r) => setTimeout(r, 0));
  }
  return text;
}
