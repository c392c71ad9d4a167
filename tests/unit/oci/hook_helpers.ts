// Shared by the hooks tests: tiny hook programs as /bin/sh scripts in a temp
// dir, a state document, and a logger that keeps what it was told.

import { join } from "node:path";
import type { Logger } from "../../../lib/log.ts";
import { ociState, serializeState } from "../../../lib/oci/state.ts";

export const STATE = serializeState(ociState({
  ociVersion: "1.2.0",
  id: "hooks-test",
  pid: 4242,
  status: "created",
  bundle: "/run/bundles/hooks-test",
  rootfs: "/run/bundles/hooks-test/rootfs",
  created: new Date("2024-05-01T10:20:30.120Z"),
  annotations: { "com.urunc.unikernel.unikernelType": "unikraft", quote: 'a "b" \n c' },
}));

const root = Deno.makeTempDirSync({ prefix: "urunc-oci-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** A fresh directory, removed with the others when the test module ends. */
export function tempDir(): string {
  return Deno.makeTempDirSync({ dir: root });
}

/** Write an executable `#!/bin/sh` script and return its path. */
export function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  Deno.writeTextFileSync(path, `#!/bin/sh\n${body}\n`);
  Deno.chmodSync(path, 0o755);
  return path;
}

export function readText(path: string): string {
  return Deno.readTextFileSync(path);
}

export interface RecordingLogger extends Logger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

/** The rejection message of `p`; fails the test when `p` resolves. */
export async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** Kill a pid a test left behind (a hook's background child); ignore if gone. */
export function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
