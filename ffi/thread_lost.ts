// When the main thread cannot return to urunc's own namespaces, nothing may
// run on: a file opened, a process spawned or a cleanup done next would act
// inside the container (its mount or network namespace). The process ends
// here, after one error line, instead of unwinding through ordinary handlers.

let report: (msg: string) => void = (msg) =>
  Deno.stderr.writeSync(new TextEncoder().encode(`urunc: ${msg}\n`));

/** Where the last words go (the CLI points this at its --log error line). */
export function setThreadLostReporter(fn: (msg: string) => void): void {
  report = fn;
}

export function endProcessThreadLost(err: Error): never {
  try {
    report(
      `${err.message}; urunc stops here, its thread may still be in the container's namespaces`,
    );
  } finally {
    Deno.exit(1);
  }
}
