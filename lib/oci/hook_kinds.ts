// The OCI hook kinds, in the order the lifecycle runs them. Its own module so
// code that only checks names does not load the spec schema (and zod).
export const HOOK_KINDS = [
  "prestart",
  "createRuntime",
  "createContainer",
  "startContainer",
  "poststart",
  "poststop",
] as const;
export type HookKind = typeof HOOK_KINDS[number];
