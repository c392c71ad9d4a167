// Host networking for unikernel containers: setup in the init child, cleanup in
// `delete`, support probe for `urunc check`. All synchronous (see ffi/netns.ts).

export { type NetDeps, setupNetwork, type SetupOptions } from "./setup.ts";
export { type CleanupDeps, cleanupNetwork, isLeftInPlace } from "./cleanup.ts";
export { checkNetworkSupport, type SupportItem } from "./support.ts";
export { type ContainerInterface, discoverContainerInterface } from "./discover.ts";
export { aliasFor, describeResource, FILTER_PRIO, type NetResource, ownerOf } from "./resources.ts";
export {
  NetworkSetupError,
  NetworkUnusableError,
  StaticNetworkUnsupportedError,
} from "./errors.ts";
export { withNetns } from "../../../ffi/netns.ts";
