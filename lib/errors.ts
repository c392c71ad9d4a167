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

/** The message of any thrown value, with the causes chained in. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof UruncError || err.cause === undefined) return err.message;
  return `${err.message}: ${describe(err.cause)}`;
}
