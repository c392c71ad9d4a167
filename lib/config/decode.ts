// urunc metadata values are base64 (as the image builder writes them), but
// hand-written annotations are plain text. A value is decoded only when it is
// canonical base64 (RFC 4648 alphabet, padding required, CR/LF ignored like Go)
// AND decodes to printable UTF-8; anything else is taken verbatim. So "qemu",
// which is valid base64 for binary garbage, stays "qemu".

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Control characters other than tab (C0, DEL, C1) mean "not text".
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeBase64(s: string): Uint8Array | null {
  const clean = s.replace(/[\r\n]/g, "");
  if (clean === "" || !BASE64.test(clean)) return null;
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The decoded text if `raw` is base64 of printable UTF-8, else `raw` itself. */
export function decodeMetadataValue(raw: string): string {
  const bytes = decodeBase64(raw);
  if (bytes === null) return raw;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return raw;
  }
  return CONTROL.test(text) || text.includes("\ufffd") ? raw : text;
}
