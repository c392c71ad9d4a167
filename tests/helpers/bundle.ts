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
  /** false: no linux.seccomp; an object: that profile; default: containerd's default profile. */
  seccomp?: boolean | Record<string, unknown>;
  /** The five process.capabilities sets; default: containerd's defaults in all but inheritable/ambient. */
  capabilities?: Record<string, string[]> | null;
  noNewPrivileges?: boolean;
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

/** containerd's (and Docker's) default capability set for a container process. */
export const DEFAULT_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

export const DEFAULT_CAPABILITIES = {
  bounding: DEFAULT_CAPS,
  effective: DEFAULT_CAPS,
  permitted: DEFAULT_CAPS,
};

/** A seccomp profile fixture from tests/fixtures/seccomp (OCI form). */
export function seccompFixture(name: "containerd" | "docker"): Record<string, unknown> {
  return JSON.parse(
    Deno.readTextFileSync(`${REPO}tests/fixtures/seccomp/${name}_default_amd64.json`),
  );
}

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
      capabilities: o.capabilities === undefined ? DEFAULT_CAPABILITIES : o.capabilities,
      noNewPrivileges: o.noNewPrivileges,
    },
    hostname: o.hostname,
    annotations: o.annotations ?? {},
    hooks: o.hooks,
    linux: {
      namespaces: o.namespaces ?? DEFAULT_NAMESPACES,
      resources: o.memoryBytes ? { memory: { limit: o.memoryBytes } } : undefined,
      seccomp: o.seccomp === false
        ? null
        : typeof o.seccomp === "object"
        ? o.seccomp
        : seccompFixture("containerd"),
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
