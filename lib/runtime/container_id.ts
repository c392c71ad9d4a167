import { UruncError } from "../errors.ts";

// runc's rule (letters, digits, _ + - .) plus a length that fits one path component.
const ID = /^[A-Za-z0-9_+.-]{1,255}$/;

export function validateContainerId(id: string): string {
  if (!ID.test(id) || id === "." || id === "..") {
    throw new UruncError(
      `invalid container id ${
        JSON.stringify(id)
      }: expected 1-255 characters from [A-Za-z0-9_+.-], not "." or ".."`,
    );
  }
  return id;
}
