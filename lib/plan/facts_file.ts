// `urunc plan --facts FILE`: host facts as JSON, so a plan can be computed for
// another host. The shape is a golden fixture's `hostFacts` plus its
// `inputs.network` and `inputs.rootfsMount` (both optional, null = none).

import { z } from "zod";
import { UruncError } from "../errors.ts";
import type { HostFacts } from "./types.ts";

const network = z.strictObject({
  ip: z.string(),
  mask: z.string(),
  gateway: z.string(),
  tap: z.string().min(1),
  mac: z.string(),
  mtu: z.number().int().positive().optional(),
});

const rootfsMount = z.strictObject({
  mountpoint: z.string(),
  device: z.string(),
  fstype: z.string(),
  isBlockDevice: z.boolean().optional(),
});

const absolute = z.string().refine((p) => p.startsWith("/"), "must be an absolute path");

const factsSchema = z.strictObject({
  arch: z.enum(["amd64", "arm64"]),
  kvm: z.boolean(),
  monitorPaths: z.strictObject({
    qemu: absolute.optional(),
    firecracker: absolute.optional(),
    hvt: absolute.optional(),
    spt: absolute.optional(),
  }),
  network: network.nullable().optional(),
  rootfsMount: rootfsMount.nullable().optional(),
  mountSources: z.record(
    z.string(),
    z.discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("dir") }),
      z.strictObject({ kind: z.literal("file") }),
      z.strictObject({ kind: z.literal("block"), device: z.string(), fstype: z.string() }),
      z.strictObject({ kind: z.literal("missing") }),
      z.strictObject({ kind: z.literal("other") }),
    ]),
  ).optional(),
  dns: z.array(z.string()).optional(),
});

/** Parse and validate a facts file's text; errors name the file and field. */
export function parseFacts(text: string, file: string): HostFacts {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UruncError(`invalid facts file ${file}: not JSON: ${(err as Error).message}`);
  }
  const r = factsSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.length ? issue.path.join(".") : "(top level)";
    throw new UruncError(`invalid facts file ${file}: field "${field}": ${issue.message}`);
  }
  const f = r.data;
  return {
    arch: f.arch,
    kvm: f.kvm,
    monitorPaths: Object.fromEntries(
      Object.entries(f.monitorPaths).filter(([, v]) => v !== undefined),
    ),
    network: f.network ?? null,
    rootfsMount: f.rootfsMount ?? null,
    ...(f.mountSources ? { mountSources: f.mountSources } : {}),
    ...(f.dns ? { dns: f.dns } : {}),
  };
}
