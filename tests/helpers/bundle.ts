// Build OCI bundles for tests: a rootfs with a unikernel (any bytes will do for
// a fake monitor) and a config.json shaped like what containerd writes.
import { join } from "node:path";
import { REPO } from "./urunc.ts";

export const FAKE_MONITOR = `${REPO}.build/fake-monitor`;

export interface BundleOptions {
  annotations?: Record<string, string>;
  /** Written to rootfs/urunc.json with base64 values (as bunny does). */
  uruncJson?: Record<string, string> | string;
  args?: string[];
  env?: string[];
  terminal?: boolean;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  namespaces?: { type: string; path?: string }[];
  hooks?: Record<string, unknown[]>;
  memoryBytes?: number;
  seccomp?: boolean;
  hostname?: string;
  /** Extra top-level spec fields, merged last (for bad-input tests). */
  extra?: Record<string, unknown>;
  files?: Record<string, string>;
}

export const DEFAULT_NAMESPACES = [
  { type: "pid" },
  { type: "ipc" },
  { type: "uts" },
  { type: "mount" },
  { type: "network" },
];

export function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

export function makeBundle(dir: string, o: BundleOptions = {}): string {
  const rootfs = join(dir, "rootfs");
  Deno.mkdirSync(rootfs, { recursive: true });
  const files = o.files ?? { "/kernel": "fake kernel\n", "/initrd": "fake initrd\n" };
  for (const [path, content] of Object.entries(files)) {
    Deno.mkdirSync(join(rootfs, path, ".."), { recursive: true });
    Deno.writeTextFileSync(join(rootfs, path), content);
  }
  if (o.uruncJson !== undefined) {
    const text = typeof o.uruncJson === "string" ? o.uruncJson : JSON.stringify(
      Object.fromEntries(Object.entries(o.uruncJson).map(([k, v]) => [k, b64(v)])),
    );
    Deno.writeTextFileSync(join(rootfs, "urunc.json"), text);
  }
  const spec: Record<string, unknown> = {
    ociVersion: "1.0.2",
    root: { path: "rootfs" },
    process: {
      terminal: o.terminal ?? false,
      user: o.user ?? { uid: 0, gid: 0 },
      args: o.args ?? ["/init"],
      env: o.env ?? ["PATH=/usr/bin:/bin"],
      cwd: "/",
    },
    hostname: o.hostname,
    annotations: o.annotations ?? {},
    hooks: o.hooks,
    linux: {
      namespaces: o.namespaces ?? DEFAULT_NAMESPACES,
      resources: o.memoryBytes ? { memory: { limit: o.memoryBytes } } : undefined,
      seccomp: o.seccomp === false ? null : { defaultAction: "SCMP_ACT_ERRNO" },
    },
    ...o.extra,
  };
  Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
  return dir;
}

/** A host config that points every monitor at `monitorPath` and forces TCG. */
export function writeHostConfig(path: string, monitorPath: string, extra = ""): string {
  const monitors = ["qemu", "firecracker", "hvt", "spt"]
    .map((m) =>
      `[monitors.${m}]\npath = ${JSON.stringify(monitorPath)}\n${
        m === "qemu" ? 'accel = "tcg"\n' : ""
      }`
    )
    .join("\n");
  Deno.writeTextFileSync(path, `${monitors}\n${extra}`);
  return path;
}

export const LINUX_QEMU = {
  "com.urunc.unikernel.unikernelType": "linux",
  "com.urunc.unikernel.hypervisor": "qemu",
  "com.urunc.unikernel.binary": "/kernel",
  "com.urunc.unikernel.initrd": "/initrd",
};
