// Opening input that may be hostile without hanging, following it elsewhere or
// touching a device: an O_PATH descriptor first (opens nothing, optionally
// O_NOFOLLOW), its type checked with fstat, and only a regular file reopened
// for reading through /proc/self/fd: the checked inode is the one read.

import { check, cstr, errno, libc, SyscallError } from "./libc.ts";
import { O } from "./constants.ts";
import { ERRNO } from "./errno.ts";

const AT_EMPTY_PATH = 0x1000;
const STATX_TYPE = 0x1;
const STATX_SIZE = 0x200;
const S_IFMT = 0o170000;
const { ENOENT, ENOTDIR } = ERRNO;
/** ioctl(fd, NS_GET_NSTYPE): the CLONE_NEW* type of a namespace file (Linux 4.11+). */
const NS_GET_NSTYPE = 0xb703n;

const KINDS: Record<number, string> = {
  0o010000: "a FIFO",
  0o020000: "a character device",
  0o040000: "a directory",
  0o060000: "a block device",
  0o100000: "a regular file",
  0o120000: "a symbolic link",
  0o140000: "a socket",
};

/** Why a path was refused: what was found instead of a regular file, or its size. */
export class RefusedFileError extends Error {
  constructor(
    readonly path: string,
    readonly found: string | null,
    readonly size: number | null = null,
    readonly max: number | null = null,
  ) {
    super(
      found !== null
        ? `expected a regular file, found ${found}`
        : `${size} bytes, expected at most ${max}`,
    );
    this.name = "RefusedFileError";
  }
}

/** struct statx: stx_mode (u16) at 0x1c, stx_size (u64) at 0x28. */
function fstatx(fd: number, path: string): { mode: number; size: number } {
  const buf = new Uint8Array(256);
  check(libc().statx(fd, cstr(""), AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, buf), "statx", path);
  const v = new DataView(buf.buffer);
  return { mode: v.getUint16(0x1c, true), size: Number(v.getBigUint64(0x28, true)) };
}

/** An O_PATH fd on `path`, or null when it does not exist. */
function openPath(path: string, follow: boolean): number | null {
  const fd = libc().open(cstr(path), O.PATH | O.CLOEXEC | (follow ? 0 : O.NOFOLLOW), 0);
  if (fd >= 0) return fd;
  const e = errno();
  if (e === ENOENT || e === ENOTDIR) return null;
  throw new SyscallError("open", e, path);
}

/** Refuse anything but a regular file, then open that very inode for reading. */
function reopenRegular(pathFd: number, path: string): { fd: number; size: number } {
  const st = fstatx(pathFd, path);
  const kind = st.mode & S_IFMT;
  if (kind !== 0o100000) {
    throw new RefusedFileError(path, KINDS[kind] ?? "an unknown kind of file");
  }
  const fd = check(
    libc().open(cstr(`/proc/self/fd/${pathFd}`), O.RDONLY | O.NONBLOCK | O.CLOEXEC, 0),
    "open",
    path,
  );
  return { fd, size: st.size };
}

/**
 * The whole content of `path`, which must be a regular file of at most
 * `maxBytes`; null when it does not exist. With `follow: false` a symlink
 * (as the last component) is refused.
 */
export function readRegularFile(
  path: string,
  opts: { maxBytes: number; follow: boolean },
): Uint8Array | null {
  const pathFd = openPath(path, opts.follow);
  if (pathFd === null) return null;
  let fd = -1;
  try {
    const file = reopenRegular(pathFd, path);
    fd = file.fd;
    if (file.size > opts.maxBytes) {
      throw new RefusedFileError(path, null, file.size, opts.maxBytes);
    }
    // One byte more than allowed tells a file that grew since fstat.
    const buf = new Uint8Array(opts.maxBytes + 1);
    let n = 0;
    for (;;) {
      const r = Number(libc().read(fd, buf.subarray(n), BigInt(buf.length - n)));
      if (r < 0) {
        const e = errno();
        if (e === 4) continue;
        throw new SyscallError("read", e, path);
      }
      if (r === 0) break;
      n += r;
      if (n > opts.maxBytes) {
        throw new RefusedFileError(path, null, n, opts.maxBytes);
      }
    }
    return buf.slice(0, n);
  } finally {
    if (fd >= 0) libc().close(fd);
    libc().close(pathFd);
  }
}

/**
 * The CLONE_NEW* type of the namespace file at `path`; refuses anything that is
 * not a namespace (a FIFO there would block a plain open forever).
 */
export function namespaceFileType(path: string): number {
  const pathFd = openPath(path, true);
  if (pathFd === null) throw new RefusedFileError(path, "nothing (no such file)");
  let fd = -1;
  try {
    // nsfs files are regular files to fstat.
    try {
      fd = reopenRegular(pathFd, path).fd;
    } catch (err) {
      if (!(err instanceof RefusedFileError)) throw err;
      throw new RefusedFileError(path, err.found ?? "something else");
    }
    const t = libc().ioctl_int(fd, NS_GET_NSTYPE, 0n);
    if (t < 0) throw new RefusedFileError(path, "a regular file that is not a namespace file");
    return t;
  } finally {
    if (fd >= 0) libc().close(fd);
    libc().close(pathFd);
  }
}
