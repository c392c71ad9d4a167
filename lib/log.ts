// runc-compatible logging: `--log FILE --log-format json` writes one
// {"level","msg","time"} object per line; containerd shows the last "error" msg.
// Writes are synchronous appends, so a line is complete even if we exec or die next.

import { clip, oneLine } from "./errors.ts";

export type Level = "debug" | "info" | "warning" | "error";
export type LogFormat = "text" | "json";

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const encoder = new TextEncoder();

export interface LogOptions {
  /** Log file; null = stderr (never used by `create`, whose stderr is the container's). */
  path: string | null;
  format: LogFormat;
  debug: boolean;
}

/** A log message is one line, and echoes no more than this of whatever input it quotes. */
export const MAX_LOG_MESSAGE = 8192;

export function formatLine(level: Level, msg: string, format: LogFormat, now = new Date()): string {
  const time = now.toISOString();
  msg = clip(oneLine(msg), MAX_LOG_MESSAGE);
  if (format === "json") return JSON.stringify({ level, msg, time }) + "\n";
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

export function createLogger(opts: LogOptions): Logger {
  // Opened now, not on first use: the shim expects the file to exist, and the
  // init child must hold it before pivot_root takes the path away.
  const file = opts.path === null
    ? null
    : Deno.openSync(opts.path, { append: true, create: true, mode: 0o644 });
  const emit = (level: Level, msg: string) => {
    if (level === "debug" && !opts.debug) return;
    const line = encoder.encode(formatLine(level, msg, opts.format));
    if (file === null) Deno.stderr.writeSync(line);
    else file.writeSync(line);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warning", m),
    error: (m) => emit("error", m),
  };
}

/** A logger that drops everything (tests, `plan`). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
