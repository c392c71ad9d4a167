// Terminal containers: urunc allocates the pty and hands the master to the shim
// over --console-socket with SCM_RIGHTS (Deno has no fd-passing API).

import { check, cstr, errno, libc, SyscallError } from "./libc.ts";
import { O } from "./constants.ts";

export interface Pty {
  master: number;
  /** /dev/pts/N, opened later by the init child as its controlling terminal. */
  slavePath: string;
}

export function openPty(): Pty {
  const c = libc();
  const master = check(c.posix_openpt(O.RDWR | O.NOCTTY | O.CLOEXEC), "posix_openpt");
  try {
    check(c.grantpt(master), "grantpt");
    check(c.unlockpt(master), "unlockpt");
    const buf = new Uint8Array(128);
    const rc = c.ptsname_r(master, buf, BigInt(buf.length));
    if (rc !== 0) throw new SyscallError("ptsname_r", rc);
    const slavePath = new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)));
    return { master, slavePath };
  } catch (err) {
    c.close(master);
    throw err;
  }
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;

function ptr(b: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b as Uint8Array<ArrayBuffer>)));
}

/** Connect to a unix stream socket and send `fd` with `name` as the payload (runc's console protocol). */
export function sendFd(socketPath: string, fd: number, name: string): void {
  const c = libc();
  const pathBytes = new TextEncoder().encode(socketPath);
  if (pathBytes.length >= 108) throw new SyscallError("connect", 36, socketPath);
  const sock = check(c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket(AF_UNIX)");
  try {
    // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
    const addr = new Uint8Array(110);
    new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
    addr.set(pathBytes, 2);
    check(c.connect(sock, addr, 110), "connect", socketPath);

    const payload = cstr(name);
    // struct iovec { void *iov_base; size_t iov_len; }
    const iov = new Uint8Array(16);
    const iv = new DataView(iov.buffer);
    iv.setBigUint64(0, ptr(payload), true);
    iv.setBigUint64(8, BigInt(payload.length - 1), true);
    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; int fd; } padded to CMSG_SPACE(4) = 24
    const ctrl = new Uint8Array(24);
    const cv = new DataView(ctrl.buffer);
    cv.setBigUint64(0, 20n, true); // CMSG_LEN(sizeof(int))
    cv.setInt32(8, SOL_SOCKET, true);
    cv.setInt32(12, SCM_RIGHTS, true);
    cv.setInt32(16, fd, true);
    // struct msghdr (56 bytes on LP64)
    const msg = new Uint8Array(56);
    const mv = new DataView(msg.buffer);
    mv.setBigUint64(16, ptr(iov), true); // msg_iov
    mv.setBigUint64(24, 1n, true); // msg_iovlen
    mv.setBigUint64(32, ptr(ctrl), true); // msg_control
    mv.setBigUint64(40, BigInt(ctrl.length), true); // msg_controllen
    for (;;) {
      const n = c.sendmsg(sock, msg, 0);
      if (n >= 0) break;
      const e = errno();
      if (e !== 4) throw new SyscallError("sendmsg", e, socketPath);
    }
    // keep the buffers referenced until after the call
    payload.length + iov.length + ctrl.length;
  } finally {
    c.close(sock);
  }
}
