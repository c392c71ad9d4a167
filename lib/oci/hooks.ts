// Runs the OCI hooks of one lifecycle point: in array order, one at a time,
// each with the state JSON on stdin and its own timeout; the first failure
// stops the operation. Upstream urunc runs them concurrently, ignores timeouts
// and picks the namespaces wrongly; the caller chooses namespaces here through
// `spawn` (see RunHooksOptions).

import { describe, UruncError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import type { Hook, HookKind } from "./spec.ts";
import {
  type HookExit,
  type HookProcess,
  prepareStart,
  startHookProcess,
  type StartRequest,
} from "./hook_process.ts";

export type { HookExit, HookProcess } from "./hook_process.ts";

/** One hook, resolved to what will be executed. */
export interface HookCommand extends StartRequest {
  readonly kind: HookKind;
  /** Start the hook now, synchronously: call this inside the namespace switch. */
  spawn(): HookProcess;
}

/**
 * Starts a hook. The default is `cmd => cmd.spawn()`. A caller that must run a
 * hook in other namespaces wraps that call: enter the namespaces on the main
 * thread, `cmd.spawn()`, restore. Only the spawn happens inside the wrapper;
 * all I/O with the hook happens after it returned, back in urunc's namespaces.
 */
export type HookSpawner = (cmd: HookCommand) => HookProcess;

export interface RunHooksOptions {
  spawn?: HookSpawner;
  log?: Logger;
  /** Limit for hooks without `timeout`; absent = wait as long as it takes (as runc). */
  defaultTimeoutMs?: number;
}

/** After a hook exits, how long its output may take to reach end of file. */
const OUTPUT_GRACE_MS = 250;

/**
 * argv is `args` when non-empty (args[0] is argv[0] and may differ from path),
 * else [path]. env is exactly `env` when present, even if empty; when absent the
 * hook inherits urunc's environment, as runc does (Go's exec.Cmd with a nil Env)
 * and as upstream urunc does.
 */
export function hookCommand(kind: HookKind, hook: Hook): HookCommand {
  const argv = hook.args && hook.args.length > 0 ? [...hook.args] : [hook.path];
  const cmd: HookCommand = {
    kind,
    path: hook.path,
    argv,
    env: hook.env ? [...hook.env] : null,
    spawn: () => startHookProcess(cmd),
  };
  return cmd;
}

export async function runHooks(
  kind: HookKind,
  hooks: readonly Hook[],
  state: string,
  opts: RunHooksOptions = {},
): Promise<void> {
  const stdin = new TextEncoder().encode(state);
  for (const hook of hooks) {
    const timeoutMs = hook.timeout !== undefined ? hook.timeout * 1000 : opts.defaultTimeoutMs;
    await runOne(hookCommand(kind, hook), stdin, timeoutMs, opts);
  }
}

async function runOne(
  cmd: HookCommand,
  stdin: Uint8Array,
  timeoutMs: number | undefined,
  opts: RunHooksOptions,
): Promise<void> {
  const log = opts.log ?? silentLogger;
  const label = `${cmd.kind} hook ${cmd.path}`;
  const malformed = cmd.env?.filter((e) => e.indexOf("=") <= 0) ?? [];
  if (malformed.length > 0) {
    log.warn(`${label}: ignoring env entries without NAME=: ${malformed.join(", ")}`);
  }
  log.debug(`${label}: running ${JSON.stringify(cmd.argv)}`);
  const started = performance.now();

  await prepareStart(cmd.argv[0] !== cmd.path);
  let proc: HookProcess;
  try {
    proc = (opts.spawn ?? ((c) => c.spawn()))(cmd);
  } catch (err) {
    throw cannotStart(label, err);
  }
  void proc.feed(stdin);

  let exit: HookExit | "timeout";
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const expiry = new Promise<"timeout">((resolve) => {
      if (timeoutMs !== undefined) timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    exit = await Promise.race([proc.status, expiry]);
    if (exit === "timeout") {
      proc.kill("SIGKILL");
      await proc.status;
    }
  } catch (err) {
    // Only node:child_process gets here: it reports a failed exec asynchronously.
    proc.release();
    throw cannotStart(label, err);
  } finally {
    clearTimeout(timer);
  }

  let grace: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    proc.outputEnded,
    new Promise((resolve) => grace = setTimeout(resolve, OUTPUT_GRACE_MS)),
  ]);
  clearTimeout(grace);
  const output = proc.release();
  const detail = outputDetail(output);
  const ms = Math.round(performance.now() - started);

  if (exit === "timeout") {
    throw new UruncError(`${label} timed out after ${timeoutMs! / 1000}s${detail}`);
  }
  if (exit.signal !== null) {
    throw new UruncError(`${label} failed: killed by signal ${exit.signal}${detail}`);
  }
  if (exit.code !== 0) throw new UruncError(`${label} failed: exit status ${exit.code}${detail}`);
  log.debug(`${label}: succeeded in ${ms} ms${successOutput(output)}`);
}

/** ": <stderr>", or ": <stdout>" when stderr is empty, on one line; "" when both are. */
function outputDetail(o: { stdout: string; stderr: string }): string {
  const text = oneLine(o.stderr) || oneLine(o.stdout);
  return text === "" ? "" : `: ${text}`;
}

function successOutput(o: { stdout: string; stderr: string }): string {
  const out = oneLine(o.stdout);
  const err = oneLine(o.stderr);
  return (out ? `; stdout: ${out}` : "") + (err ? `; stderr: ${err}` : "");
}

/** Error messages are one line: containerd shows the last log line's msg. */
function oneLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").join("; ");
}

/** Deno and node word exec failures differently; say the same thing for both. */
function cannotStart(label: string, err: unknown): UruncError {
  const code = (err as { code?: unknown } | null)?.code;
  let reason = describe(err);
  if (err instanceof Deno.errors.NotFound || code === "ENOENT") {
    reason = "no such file or directory (the program or its interpreter)";
  } else if (err instanceof Deno.errors.PermissionDenied || code === "EACCES") {
    reason = "permission denied (is it an executable file?)";
  }
  return new UruncError(`${label} could not be started: ${reason}`, 1, { cause: err });
}
