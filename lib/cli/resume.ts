import { freezeCommand } from "./pause.ts";

export const main = freezeCommand(false);
