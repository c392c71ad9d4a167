/** An error whose message is the whole story for the user, in one sentence. */
export class UruncError extends Error {
  constructor(message: string, readonly exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = "UruncError";
  }
}

/** Bad command line: unknown command, bad flag, wrong number of arguments. */
export class UsageError extends UruncError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

// The texts the containerd shim (and people's scripts) match on, in runc's words.
// One class each, so no copy of a text can drift; tests/unit/errors_test.ts pins them.

export class ContainerNotFoundError extends UruncError {
  constructor(id: string, why?: string) {
    super(`container ${id} does not exist${why === undefined ? "" : `: ${why}`}`);
    this.name = "ContainerNotFoundError";
  }
}

export class ContainerExistsError extends UruncError {
  constructor(id: string) {
    super(`container ${id} already exists`);
    this.name = "ContainerExistsError";
  }
}

export class ContainerNotRunningError extends UruncError {
  constructor() {
    super("container not running");
    this.name = "ContainerNotRunningError";
  }
}

export class ContainerRunningError extends UruncError {
  constructor(id: string) {
    super(`container ${id} is already running`);
    this.name = "ContainerRunningError";
  }
}

/** The message of any thrown value, with the causes chained in. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof UruncError || err.cause === undefined) return err.message;
  return `${err.message}: ${describe(err.cause)}`;
}

/** Longest piece of untrusted input an error message echoes. */
export const QUOTE_MAX = 120;

/**
 * `value` as a JSON string for an error message, cut to `max` characters and
 * saying how long it really was, so hostile input cannot make huge log lines.
 */
export function quote(value: string, max = QUOTE_MAX): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}... (${value.length} characters)`;
}

/** Already-formatted text (e.g. JSON) cut the same way, without quoting it again. */
export function clip(text: string, max = QUOTE_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/**
 * `text` on one line: control characters (a newline in a path from a bundle,
 * say) become visible escapes, so one error stays one line for the shim.
 */
export function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}
