// One line per unikernel type.
import type { UnikernelType } from "../types.ts";
import type { UnikernelModule } from "./unikernel.ts";
import { unikraft } from "./unikraft.ts";
import { rumprun } from "./rumprun.ts";
import { mirage } from "./mirage.ts";
import { mewz } from "./mewz.ts";
import { linux } from "./linux.ts";

export const UNIKERNELS: Record<UnikernelType, UnikernelModule> = {
  unikraft,
  rumprun,
  mirage,
  mewz,
  linux,
};
