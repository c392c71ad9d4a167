// Starting one hook program: argv and environment exactly as the spec asks,
// stdio piped, and nothing in the synchronous start that could create a thread
// (the caller may be inside a pending PID namespace, DESIGN.md §2).

export interface HookExit {
  code: number;
  /** Signal name when the hook was killed by a signal (Deno.CommandStatus shape). */
  signal: string | null;
}

/** A started hook. Everything here is used after the synchronous start returned. */
export interface HookProcess {
  readonly pid: number;
  /** Exit status; rejects when the program could not be executed at all. */
  readonly status: Promise<HookExit>;
  /** Write `data` to stdin and close it; never rejects (a hook may not read stdin). */
  feed(data: Uint8Array): Promise<void>;
  /** Settles when stdout and stderr both reached end of file. */
  readonly outputEnded: Promise<void>;
  /**
   * Stop all I/O with the hook and return the captured output tails. The hook
   * has exited, but a process it left behind may still hold the pipes open.
   */
  release(): { stdout: string; stderr: string };
  /** Only SIGKILL is needed: a hook past its timeout gets no chance to linger. */
  kill(signal: "SIGKILL"): void;
}

/** Bytes kept from the end of each of stdout and stderr. */
const OUTPUT_TAIL_BYTES = 4096;

type NodeSpawn = typeof import("node:child_process").spawn;
let nodeSpawn: NodeSpawn | undefined;

/**
 * Deno.Command cannot set argv[0] apart from the path; node:child_process can
 * (its `argv0` option reaches execve since denoland/deno#32885). Loading it
 * costs ~10 ms and its first spawn then initialises more of the node layer
 * (~20 ms) unless node:net is loaded too, so load both here: only for hooks
 * that need it, and before the caller's namespace switch, keeping that short.
 */
export async function prepareStart(needsArgv0: boolean): Promise<void> {
  if (!needsArgv0 || nodeSpawn) return;
  const [cp] = await Promise.all([import("node:child_process"), import("node:net")]);
  nodeSpawn = cp.spawn;
}

export interface StartRequest {
  path: string;
  argv: readonly string[];
  /** The exact environment, or null to inherit urunc's. */
  env: readonly string[] | null;
}

/** Start the program synchronously; throws when it cannot be started. */
export function startHookProcess(req: StartRequest): HookProcess {
  if (req.argv[0] === req.path) return startWithDeno(req);
  if (!nodeSpawn) {
    throw new Error(`internal: prepareStart(true) must run before starting ${req.path}`);
  }
  return startWithNode(nodeSpawn, req);
}

/** "K=V" entries to a record; later duplicates win (as in Go's os/exec). */
function envRecord(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf("=");
    // An entry without "=" (or with an empty name) cannot be expressed to execve via Deno.
    if (eq <= 0) continue;
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** The last OUTPUT_TAIL_BYTES of a stream; "…" marks that earlier bytes were dropped. */
class Tail {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #dropped = false;
  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk.slice());
    this.#size += chunk.length;
    while (this.#size - this.#chunks[0].length >= OUTPUT_TAIL_BYTES) {
      this.#size -= this.#chunks.shift()!.length;
      this.#dropped = true;
    }
  }
  text(): string {
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      all.set(c, at);
      at += c.length;
    }
    const cut = Math.max(0, all.length - OUTPUT_TAIL_BYTES);
    const text = new TextDecoder().decode(all.subarray(cut));
    return this.#dropped || cut > 0 ? `…${text}` : text;
  }
}

function startWithDeno(req: StartRequest): HookProcess {
  const child = new Deno.Command(req.path, {
    args: req.argv.slice(1),
    ...(req.env === null ? {} : { env: envRecord(req.env), clearEnv: true }),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = new Tail();
  const err = new Tail();
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const stdin = child.stdin.getWriter();
  const drain = async (r: ReadableStreamDefaultReader<Uint8Array>, t: Tail) => {
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      t.push(value);
    }
  };
  return {
    pid: child.pid,
    status: child.status.then((s) => ({ code: s.code, signal: s.signal })),
    async feed(data) {
      try {
        await stdin.write(data);
        await stdin.close();
      } catch {
        // EPIPE: the hook exited without reading its state; its exit status decides.
      }
    },
    outputEnded: Promise.all([drain(readers[0], out), drain(readers[1], err)]).then(() => {}),
    release() {
      stdin.abort().catch(() => {});
      for (const r of readers) r.cancel().catch(() => {});
      return { stdout: out.text(), stderr: err.text() };
    },
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    },
  };
}

function startWithNode(spawn: NodeSpawn, req: StartRequest): HookProcess {
  const cp = spawn(req.path, req.argv.slice(1), {
    argv0: req.argv[0],
    env: req.env === null ? undefined : envRecord(req.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out = new Tail();
  const err = new Tail();
  const streams = [cp.stdin, cp.stdout, cp.stderr];
  // Unhandled stream errors (EPIPE after an early exit) would be fatal events.
  for (const s of streams) s.on("error", () => {});
  cp.stdout.on("data", (d: Uint8Array) => out.push(d));
  cp.stderr.on("data", (d: Uint8Array) => err.push(d));
  const closed = (s: NodeJS.ReadableStream) => new Promise<void>((r) => s.once("close", r));
  return {
    // Node reports a failed exec asynchronously, with no pid.
    pid: cp.pid ?? 0,
    status: new Promise<HookExit>((resolve, reject) => {
      cp.once("error", reject);
      cp.once("exit", (code, signal) => resolve({ code: code ?? -1, signal }));
    }),
    feed(data) {
      return new Promise<void>((resolve) => {
        cp.stdin.once("error", () => resolve());
        cp.stdin.end(data, () => resolve());
      });
    },
    outputEnded: Promise.all([closed(cp.stdout), closed(cp.stderr)]).then(() => {}),
    release() {
      for (const s of streams) s.destroy();
      return { stdout: out.text(), stderr: err.text() };
    },
    kill(signal) {
      cp.kill(signal);
    },
  };
}
