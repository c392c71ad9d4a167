import { UruncError } from "../../errors.ts";

/** Network setup failed at one named step; `cause` keeps the errno-carrying error. */
export class NetworkSetupError extends UruncError {
  constructor(
    readonly step: string,
    cause: unknown,
    readonly rollbackProblems: readonly string[] = [],
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const rb = rollbackProblems.length === 0
      ? ""
      : `; rollback left problems: ${rollbackProblems.join("; ")}`;
    super(`network setup failed at "${step}": ${why}${rb}`, 1, { cause });
    this.name = "NetworkSetupError";
  }

  /** errno of the failing call, when the cause was a system call or netlink refusal. */
  get errno(): number | undefined {
    const e = (this.cause as { errno?: unknown } | undefined)?.errno;
    return typeof e === "number" ? e : undefined;
  }
}

/** The network namespace cannot be used as is (ownership, missing interface/address/route). */
export class NetworkUnusableError extends UruncError {
  constructor(message: string) {
    super(message, 1);
    this.name = "NetworkUnusableError";
  }
}

/** Knative's static mode needs NAT (upstream runs iptables); urunc does not implement it. */
export class StaticNetworkUnsupportedError extends UruncError {
  constructor() {
    super(
      "static network mode (Knative user-container) is not supported: it needs NAT between the tap and " +
        "the container interface, which urunc does not implement yet",
      1,
    );
    this.name = "StaticNetworkUnsupportedError";
  }
}
