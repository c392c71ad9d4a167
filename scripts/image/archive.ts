// Minimal writers for the two archive formats the test images need: the kernel's "newc" cpio
// (initramfs) and POSIX ustar (OCI layers and the OCI layout itself). Writing them by hand
// keeps entries, owners and device nodes deterministic and needs no root-owned staging tree
// (an initramfs needs /dev/console, which would otherwise mean mknod on the host).

/** One archive member; paths are relative ("bin/sh"), directories listed before their children. */
export type Entry =
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "chardev"; path: string; major: number; minor: number; mode?: number };

const encoder = new TextEncoder();

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function pad(length: number, to: number): Uint8Array {
  return new Uint8Array((to - (length % to)) % to);
}

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** The kernel's initramfs format (Documentation/driver-api/early-userspace/buffer-format.rst). */
export function cpioNewc(entries: Entry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let ino = 1;
  const member = (name: string, mode: number, data: Uint8Array, rdev = [0, 0]) => {
    const nameBytes = encoder.encode(name + "\0");
    const fields = [
      ino++, // c_ino
      mode,
      0, // c_uid
      0, // c_gid
      1, // c_nlink
      0, // c_mtime: fixed so rebuilds are byte-identical
      data.length,
      0, // c_devmajor
      0, // c_devminor
      rdev[0],
      rdev[1],
      nameBytes.length,
      0, // c_check
    ];
    const header = "070701" + fields.map((f) => f.toString(16).padStart(8, "0")).join("");
    chunks.push(encoder.encode(header), nameBytes, pad(110 + nameBytes.length, 4));
    chunks.push(data, pad(data.length, 4));
  };
  for (const e of entries) {
    switch (e.kind) {
      case "file":
        member(e.path, S_IFREG | (e.mode ?? 0o644), e.data);
        break;
      case "dir":
        member(e.path, S_IFDIR | (e.mode ?? 0o755), new Uint8Array());
        break;
      case "symlink":
        member(e.path, S_IFLNK | 0o777, encoder.encode(e.target));
        break;
      case "chardev":
        member(e.path, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(), [e.major, e.minor]);
        break;
    }
  }
  ino = 0;
  member("TRAILER!!!", 0, new Uint8Array());
  return concat(chunks);
}

/** POSIX ustar, as OCI layers and `ctr image import` expect. */
export function ustar(entries: Entry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const e of entries) {
    const header = new Uint8Array(512);
    const put = (offset: number, length: number, value: string) => {
      const bytes = encoder.encode(value);
      if (bytes.length > length) throw new Error(`tar field too long for "${e.path}": "${value}"`);
      header.set(bytes, offset);
    };
    const octal = (offset: number, length: number, value: number) =>
      put(offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
    const name = e.kind === "dir" ? e.path.replace(/\/?$/, "/") : e.path;
    put(0, 100, name);
    const data = e.kind === "file" ? e.data : new Uint8Array();
    const mode = e.kind === "symlink" ? 0o777 : e.mode ?? (e.kind === "dir" ? 0o755 : 0o644);
    octal(100, 8, mode);
    octal(108, 8, 0); // uid
    octal(116, 8, 0); // gid
    octal(124, 12, data.length);
    octal(136, 12, 0); // mtime: fixed so the digests are reproducible
    const type = { file: "0", dir: "5", symlink: "2", chardev: "3" }[e.kind];
    put(156, 1, type);
    if (e.kind === "symlink") put(157, 100, e.target);
    put(257, 6, "ustar\0");
    put(263, 2, "00");
    put(265, 32, "root");
    put(297, 32, "root");
    if (e.kind === "chardev") {
      octal(329, 8, e.major);
      octal(337, 8, e.minor);
    }
    // The checksum is computed with its own field filled with spaces.
    header.fill(0x20, 148, 156);
    const sum = header.reduce((n, b) => n + b, 0);
    put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    chunks.push(header, data, pad(data.length, 512));
  }
  chunks.push(new Uint8Array(1024)); // two zero blocks end the archive
  return concat(chunks);
}
