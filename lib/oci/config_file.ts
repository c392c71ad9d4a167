// Reading <bundle>/config.json, before any validation: create reads it before it loads
// the schema (lib/runtime/early_init.ts), so this module stays free of zod.

import { join } from "../path.ts";
import { clip, UruncError } from "../errors.ts";
import { readRegularFile, RefusedFileError } from "../../ffi/checked_open.ts";

/** Far above any real config.json (Kubernetes caps all annotations at 256 KiB). */
export const MAX_CONFIG_JSON = 16 * 1024 * 1024;

/** `<bundle>/config.json` parsed as JSON: a regular file (a FIFO there must not hang us). */
export function readConfigJson(bundle: string): unknown {
  const file = join(bundle, "config.json");
  let bytes: Uint8Array | null;
  try {
    bytes = readRegularFile(file, { maxBytes: MAX_CONFIG_JSON, follow: true });
  } catch (err) {
    if (err instanceof RefusedFileError) throw new UruncError(`invalid ${file}: ${err.message}`);
    throw new UruncError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (bytes === null) throw new UruncError(`cannot read ${file}: no such file`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new UruncError(`invalid ${file}: not JSON: ${clip((err as Error).message)}`);
  }
}
