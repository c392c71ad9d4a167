// An OCI image layout (image-spec v1.0) packed as one tar, as `ctr image import` reads it.
// No registry and no skopeo: the layout is three JSON documents and content-addressed blobs.
import { type Entry, ustar } from "./archive.ts";

export interface ImageSpec {
  /** Full reference, e.g. "docker.io/library/urunc-test:latest". */
  ref: string;
  /** Root filesystem of the single layer. */
  layer: Entry[];
  cmd: string[];
  env?: string[];
}

const encoder = new TextEncoder();

async function sha256(data: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return "sha256:" + Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  data: Uint8Array;
}

async function blob(mediaType: string, data: Uint8Array): Promise<Blob> {
  return { mediaType, digest: await sha256(data), size: data.length, data };
}

const descriptor = ({ mediaType, digest, size }: Blob) => ({ mediaType, digest, size });

/** The single uncompressed layer and the image config that names it (both formats share them). */
async function layerAndConfig(image: ImageSpec): Promise<{ layer: Blob; config: Blob }> {
  // Uncompressed layer: its digest is also its diff_id, and import skips a gunzip.
  const layer = await blob("application/vnd.oci.image.layer.v1.tar", ustar(image.layer));
  const config = await blob(
    "application/vnd.oci.image.config.v1+json",
    encoder.encode(JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {
        Cmd: image.cmd,
        Env: image.env ?? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        WorkingDir: "/",
      },
      rootfs: { type: "layers", diff_ids: [layer.digest] },
    })),
  );
  return { layer, config };
}

/** Returns the layout tar's bytes. */
export async function ociLayoutTar(image: ImageSpec): Promise<Uint8Array> {
  const { layer, config } = await layerAndConfig(image);
  const manifest = await blob(
    "application/vnd.oci.image.manifest.v1+json",
    encoder.encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: descriptor(config),
      layers: [descriptor(layer)],
    })),
  );
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{
      ...descriptor(manifest),
      platform: { architecture: "amd64", os: "linux" },
      // ctr 1.6 names the imported image after ref.name when it is a full reference.
      annotations: { "org.opencontainers.image.ref.name": image.ref },
    }],
  };
  const blobs = [layer, config, manifest];
  return ustar([
    { kind: "file", path: "oci-layout", data: encoder.encode('{"imageLayoutVersion":"1.0.0"}') },
    { kind: "file", path: "index.json", data: encoder.encode(JSON.stringify(index)) },
    { kind: "dir", path: "blobs" },
    { kind: "dir", path: "blobs/sha256" },
    ...blobs.map((b): Entry => ({
      kind: "file",
      path: `blobs/sha256/${b.digest.slice("sha256:".length)}`,
      data: b.data,
    })),
  ]);
}

/**
 * The same image as a docker-archive (`docker save` format), which Docker 20.10's `docker load`
 * reads (it does not read OCI layouts): manifest.json naming the config, the repo tag and the
 * layer tar.
 */
export async function dockerArchiveTar(image: ImageSpec): Promise<Uint8Array> {
  const { layer, config } = await layerAndConfig(image);
  const hex = (b: Blob) => b.digest.slice("sha256:".length);
  const manifest = [{
    Config: `${hex(config)}.json`,
    // Docker's familiar form: docker.io/library/x:t is shown and addressed as x:t.
    RepoTags: [image.ref.replace(/^docker\.io\/(library\/)?/, "")],
    Layers: [`${hex(layer)}/layer.tar`],
  }];
  return ustar([
    { kind: "file", path: `${hex(config)}.json`, data: config.data },
    { kind: "dir", path: hex(layer) },
    { kind: "file", path: `${hex(layer)}/layer.tar`, data: layer.data },
    { kind: "file", path: "manifest.json", data: encoder.encode(JSON.stringify(manifest)) },
  ]);
}
