// config.json: the fields urunc consumes, validated; unknown fields are kept
// (z.looseObject) so nothing a caller put there is lost when we pass it on.

import { z } from "zod";
import { join } from "../path.ts";
import { UruncError } from "../errors.ts";
import { readConfigJson } from "./config_file.ts";

const hook = z.looseObject({
  path: z.string().min(1).refine((p) => p.startsWith("/"), "must be an absolute path"),
  args: z.array(z.string()).optional(),
  env: z.array(z.string()).optional(),
  timeout: z.number().int().positive().optional(),
});
export type Hook = z.infer<typeof hook>;

export { HOOK_KINDS, type HookKind } from "./hook_kinds.ts";
import { HOOK_KINDS, type HookKind } from "./hook_kinds.ts";

const uint32 = z.number().int().min(0).max(0xffffffff);
/** u64 values arrive as JSON numbers (RLIM_INFINITY rounds to 2^64). */
const uint64 = z.number().nonnegative().refine(Number.isInteger, "expected an integer")
  .refine((n) => n <= 2 ** 64, "expected at most 2^64-1");
/** NGROUPS_MAX: setgroups(2) refuses more supplementary groups. */
export const MAX_ADDITIONAL_GIDS = 65536;
const capabilityList = z.array(z.string()).nullable().optional();

export const NAMESPACE_TYPES = [
  "pid",
  "network",
  "mount",
  "ipc",
  "uts",
  "user",
  "cgroup",
  "time",
] as const;
export type NamespaceType = typeof NAMESPACE_TYPES[number];

const namespace = z.looseObject({
  type: z.enum(NAMESPACE_TYPES),
  path: z.string().optional(),
});

const specSchema = z.looseObject({
  ociVersion: z.string(),
  root: z.looseObject({ path: z.string().min(1), readonly: z.boolean().optional() }),
  process: z.looseObject({
    terminal: z.boolean().optional(),
    user: z.looseObject({
      uid: uint32,
      gid: uint32,
      additionalGids: z.array(uint32).max(MAX_ADDITIONAL_GIDS).optional(),
    }),
    args: z.array(z.string()).optional(),
    env: z.array(z.string()).optional(),
    cwd: z.string(),
    capabilities: z.looseObject({
      bounding: capabilityList,
      effective: capabilityList,
      inheritable: capabilityList,
      permitted: capabilityList,
      ambient: capabilityList,
    }).nullable().optional(),
    noNewPrivileges: z.boolean().optional(),
    rlimits: z.array(z.looseObject({ type: z.string(), hard: uint64, soft: uint64 })).nullable()
      .optional(),
    oomScoreAdj: z.number().int().min(-1000).max(1000).nullable().optional(),
  }),
  hostname: z.string().optional(),
  mounts: z.array(z.looseObject({
    destination: z.string().min(1),
    type: z.string().optional(),
    source: z.string().optional(),
    options: z.array(z.string()).optional(),
  })).optional(),
  hooks: z.looseObject(
    Object.fromEntries(HOOK_KINDS.map((k) => [k, z.array(hook).optional()])) as Record<
      HookKind,
      z.ZodOptional<z.ZodArray<typeof hook>>
    >,
  ).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  linux: z.looseObject({
    namespaces: z.array(namespace).optional(),
    resources: z.looseObject({
      memory: z.looseObject({ limit: z.number().int().nullable().optional() }).nullable()
        .optional(),
      cpu: z.looseObject({
        quota: z.number().int().nullable().optional(),
        period: z.number().int().nullable().optional(),
      }).nullable().optional(),
    }).nullable().optional(),
    seccomp: z.unknown().optional(),
    maskedPaths: z.array(z.string()).nullable().optional(),
    readonlyPaths: z.array(z.string()).nullable().optional(),
    rootfsPropagation: z.string().optional(),
  }).optional(),
});

export type OciSpec = z.infer<typeof specSchema>;

/** Validate a parsed config.json; errors name the field and what was expected. */
export function parseSpec(raw: unknown, file: string): OciSpec {
  const r = specSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.length ? issue.path.join(".") : "(top level)";
  throw new UruncError(`invalid ${file}: field "${field}": ${issue.message}`);
}

/** Read and validate `<bundle>/config.json`: a regular file (a FIFO there must not hang us). */
export function loadSpec(bundle: string): OciSpec {
  return parseSpec(readConfigJson(bundle), join(bundle, "config.json"));
}

/** The rootfs directory: root.path, relative to the bundle unless absolute. */
export function rootfsPath(spec: OciSpec, bundle: string): string {
  return spec.root.path.startsWith("/") ? spec.root.path : join(bundle, spec.root.path);
}
