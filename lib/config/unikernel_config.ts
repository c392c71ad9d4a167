// The unikernel configuration of a container: the com.urunc.unikernel.* spec
// annotations, else <rootfs>/urunc.json (same keys, values base64 as bunny
// writes them). Each key is taken from the annotations when set there, else from
// urunc.json. No metadata at all → null (the runtime hands the container to
// runc); malformed metadata is an error naming the key, source and expectation.

import { join } from "../path.ts";
import { clip, quote, UruncError } from "../errors.ts";
import { readRegularFile, RefusedFileError } from "../../ffi/checked_open.ts";
import type { OciSpec } from "../oci/spec.ts";
import { GO_BOOL_WORDS, goParseBool } from "../plan/go_compat.ts";
import {
  MONITOR_KINDS,
  type MonitorKind,
  UNIKERNEL_TYPES,
  type UnikernelConfig,
  type UnikernelType,
} from "../plan/types.ts";
import { decodeMetadataValue } from "./decode.ts";

export const ANNOTATION_PREFIX = "com.urunc.unikernel.";
export const CONFIG_KEYS = [
  "unikernelType",
  "hypervisor",
  "binary",
  "cmdline",
  "unikernelVersion",
  "initrd",
  "block",
  "blkMntPoint",
  "mountRootfs",
  "useDMBlock",
] as const;
type Key = typeof CONFIG_KEYS[number];
type Source = "annotations" | "urunc.json";

export const DM_BLOCK_ENV = "USE_DEVMAPPER_AS_BLOCK";

interface Value {
  text: string;
  source: Source;
}

function describeSource(key: Key, v: Value, jsonPath: string): string {
  return v.source === "annotations"
    ? `annotation "${ANNOTATION_PREFIX}${key}"`
    : `key "${ANNOTATION_PREFIX}${key}" in ${jsonPath}`;
}

/** bunny writes a few hundred bytes; anything near this is not a urunc.json. */
const MAX_URUNC_JSON = 64 * 1024;

/**
 * Read <rootfs>/urunc.json; null when absent. Never through a symlink (the image
 * could point it at any host file), never large, and a parse error does not
 * quote the content back.
 */
function readUruncJson(path: string): Record<string, string> | null {
  let bytes: Uint8Array | null;
  try {
    // One descriptor: no symlink, no FIFO or device opened, no more than the cap read.
    bytes = readRegularFile(path, { maxBytes: MAX_URUNC_JSON, follow: false });
  } catch (err) {
    if (err instanceof RefusedFileError) throw new UruncError(`invalid ${path}: ${err.message}`);
    throw new UruncError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (bytes === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new UruncError(`invalid ${path}: not JSON`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new UruncError(`invalid ${path}: expected a JSON object of ${ANNOTATION_PREFIX}* keys`);
  }
  const out: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const name = ANNOTATION_PREFIX + key;
    const v = (raw as Record<string, unknown>)[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") {
      throw new UruncError(
        `invalid key "${name}" in ${path}: expected a string, got ${
          clip(JSON.stringify(v) ?? String(v))
        }`,
      );
    }
    out[key] = v;
  }
  return out;
}

function checkPath(key: Key, v: Value, jsonPath: string, required: boolean): string {
  const where = describeSource(key, v, jsonPath);
  if (v.text === "") {
    if (required) {
      throw new UruncError(`missing ${where}: expected the kernel path inside the rootfs`);
    }
    return "";
  }
  if (!v.text.startsWith("/") || v.text.split("/").includes("..") || v.text.includes("\0")) {
    throw new UruncError(
      `invalid ${where}: expected an absolute path inside the rootfs without "..", got ${
        quote(v.text)
      }`,
    );
  }
  return v.text;
}

function checkEnum<T extends string>(
  key: Key,
  v: Value,
  jsonPath: string,
  allowed: readonly T[],
): T {
  if ((allowed as readonly string[]).includes(v.text)) return v.text as T;
  const where = describeSource(key, v, jsonPath);
  const got = v.text === "" ? "nothing" : quote(v.text);
  throw new UruncError(`invalid ${where}: expected one of ${allowed.join(", ")}, got ${got}`);
}

/**
 * Merge annotations over urunc.json and validate. `env` supplies
 * USE_DEVMAPPER_AS_BLOCK, the default when neither mountRootfs nor useDMBlock is set.
 */
export function resolveUnikernelConfig(
  spec: OciSpec,
  rootfsDir: string,
  env?: Record<string, string>,
): UnikernelConfig | null {
  const annotations = spec.annotations ?? {};
  const jsonPath = join(rootfsDir, "urunc.json");
  const fromAnnotations: Partial<Record<Key, string>> = {};
  for (const key of CONFIG_KEYS) {
    const v = annotations[ANNOTATION_PREFIX + key];
    if (v !== undefined && v !== "") fromAnnotations[key] = v;
  }
  const json = readUruncJson(jsonPath);
  const values = {} as Record<Key, Value>;
  for (const key of CONFIG_KEYS) {
    const a = fromAnnotations[key];
    const j = json?.[key];
    // A key set nowhere is blamed on urunc.json only when there is one.
    values[key] = a !== undefined || json === null
      ? { text: a === undefined ? "" : decodeMetadataValue(a), source: "annotations" }
      : { text: j === undefined ? "" : decodeMetadataValue(j), source: "urunc.json" };
  }
  // mountRootfs/useDMBlock alone (e.g. set cluster-wide) does not make a unikernel container.
  const flags: readonly Key[] = ["mountRootfs", "useDMBlock"];
  if (CONFIG_KEYS.every((k) => flags.includes(k) || values[k].text === "")) return null;

  // mountRootfs is the current name; useDMBlock (upstream ≤0.5) is still read when it is unset.
  const boolOf = (key: Key): boolean | null => {
    const v = values[key];
    if (v.text === "") return null;
    const b = goParseBool(v.text);
    if (b === null) {
      throw new UruncError(
        `invalid ${describeSource(key, v, jsonPath)}: expected a boolean (${
          GO_BOOL_WORDS.join(", ")
        }), got ${quote(v.text)}`,
      );
    }
    return b;
  };
  const current = boolOf("mountRootfs");
  const old = boolOf("useDMBlock");
  let mountRootfs = current ?? old ?? false;
  if (current === null && old === null) {
    const fallback = env !== undefined ? env[DM_BLOCK_ENV] : Deno.env.get(DM_BLOCK_ENV);
    if (fallback !== undefined && fallback !== "") {
      const b = goParseBool(fallback);
      if (b === null) {
        throw new UruncError(
          `invalid environment variable ${DM_BLOCK_ENV}: expected a boolean (${
            GO_BOOL_WORDS.join(", ")
          }), got ${quote(fallback)}`,
        );
      }
      mountRootfs = b;
    }
  }

  const unikernelType = checkEnum<UnikernelType>(
    "unikernelType",
    values.unikernelType,
    jsonPath,
    UNIKERNEL_TYPES,
  );
  return {
    unikernelType,
    hypervisor: checkEnum<MonitorKind>("hypervisor", values.hypervisor, jsonPath, MONITOR_KINDS),
    binary: checkPath("binary", values.binary, jsonPath, true),
    cmdline: values.cmdline.text,
    unikernelVersion: values.unikernelVersion.text,
    initrd: checkPath("initrd", values.initrd, jsonPath, false),
    block: checkPath("block", values.block, jsonPath, false),
    blkMntPoint: values.blkMntPoint.text,
    mountRootfs,
    source: values.unikernelType.source,
  };
}
