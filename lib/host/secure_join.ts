// Resolve a path inside a root directory the way the kernel would after
// chroot(root): symlinks (absolute or relative) and ".." can never leave root.
// Used for every mount target and file urunc creates in a container rootfs.

import { UruncError } from "../errors.ts";

export interface LinkReader {
  /** The symlink target, or null when `path` is not a symlink (or does not exist). */
  readLink(path: string): string | null;
}

export const realLinkReader: LinkReader = {
  readLink(path) {
    try {
      const st = Deno.lstatSync(path);
      return st.isSymlink ? Deno.readLinkSync(path) : null;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return null;
      }
      throw err;
    }
  },
};

const MAX_LINKS = 255;

/** `root` + `unsafe`, with every symlink resolved inside `root`. Returns an absolute host path. */
export function secureJoin(root: string, unsafe: string, fs: LinkReader = realLinkReader): string {
  const base = root.replace(/\/+$/, "");
  const pending = unsafe.split("/").filter((c) => c !== "" && c !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = `${base}/${[...resolved, part].join("/")}`;
    const target = fs.readLink(candidate);
    if (target === null) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) {
      throw new UruncError(`too many levels of symbolic links resolving ${unsafe} inside ${root}`);
    }
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...target.split("/").filter((c) => c !== "" && c !== "."));
  }
  return resolved.length === 0 ? base : `${base}/${resolved.join("/")}`;
}
