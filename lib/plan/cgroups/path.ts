// Where a container's cgroup lives, from linux.cgroupsPath (pure). cgroupfs
// driver: an absolute path is taken from each hierarchy's root, a relative one
// from urunc's own cgroup. systemd driver: "slice:prefix:name" becomes the path
// systemd would give the unit ("a-b.slice" nests as a.slice/a-b.slice), which
// urunc then creates itself (it does not ask systemd for a transient unit).

import { UruncError } from "../../errors.ts";

export interface CgroupPathRequest {
  /** linux.cgroupsPath; empty or absent = no cgroup. */
  cgroupsPath: string | undefined;
  systemd: boolean;
}

/** "/a/b" (from the hierarchy root) or "a/b" (from urunc's own cgroup); null = none asked. */
export function resolveCgroupPath(req: CgroupPathRequest): string | null {
  const raw = req.cgroupsPath ?? "";
  if (raw === "") return null;
  return req.systemd ? systemdPath(raw) : cgroupfsPath(raw);
}

function cgroupfsPath(raw: string): string {
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new UruncError(`invalid linux.cgroupsPath ${JSON.stringify(raw)}: ".." is not allowed`);
  }
  if (parts.length === 0) {
    throw new UruncError(
      `invalid linux.cgroupsPath ${JSON.stringify(raw)}: the root cgroup cannot hold a container`,
    );
  }
  return (raw.startsWith("/") ? "/" : "") + parts.join("/");
}

function systemdPath(raw: string): string {
  const fields = raw.split(":");
  if (fields.length !== 3) {
    throw new UruncError(
      `invalid linux.cgroupsPath ${
        JSON.stringify(raw)
      } with --systemd-cgroup: expected "slice:prefix:name"`,
    );
  }
  const [slice, prefix, name] = fields;
  if (name === "" || name.includes("/") || prefix.includes("/")) {
    throw new UruncError(
      `invalid linux.cgroupsPath ${
        JSON.stringify(raw)
      }: the unit name must be non-empty and contain no "/"`,
    );
  }
  if (name.endsWith(".slice")) return expandSlice(name, raw);
  const unit = prefix === "" ? `${name}.scope` : `${prefix}-${name}.scope`;
  return `${expandSlice(slice === "" ? "system.slice" : slice, raw)}/${unit}`;
}

/** "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root. */
export function expandSlice(slice: string, raw = slice): string {
  if (slice === "-.slice") return "";
  const base = slice.endsWith(".slice") ? slice.slice(0, -".slice".length) : "";
  if (base === "" || slice.includes("/") || base.split("-").some((p) => p === "")) {
    throw new UruncError(
      `invalid linux.cgroupsPath ${JSON.stringify(raw)}: ${
        JSON.stringify(slice)
      } is not a slice name (like "system.slice" or "kubepods-burstable.slice")`,
    );
  }
  let path = "";
  let prefix = "";
  for (const part of base.split("-")) {
    prefix = prefix === "" ? part : `${prefix}-${part}`;
    path += `/${prefix}.slice`;
  }
  return path;
}
