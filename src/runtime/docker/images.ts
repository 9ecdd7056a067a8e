// Images on dockerode: inspect, import a root filesystem, commit a container, list by label, remove.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ImageBuildError, splitRef, type CommitOptions, type ImageBuildSpec, type ImageInfo, type ImportOptions } from '../port.js';
import { ignoring, statusOf } from './errors.js';

export async function imageInfo(docker: Docker, ref: string): Promise<ImageInfo | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return {
      id: info.Id,
      ref,
      sizeBytes: info.Size,
      created: info.Created,
      labels: info.Config?.Labels ?? {},
      entrypoint: asList(info.Config?.Entrypoint),
      cmd: asList(info.Config?.Cmd),
    };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

export async function importRootfs(docker: Docker, tar: Readable, ref: string, options: ImportOptions): Promise<ImageInfo> {
  const { repo, tag } = splitRef(ref);
  const opts: Record<string, unknown> = { repo, tag };
  if (options.changes !== undefined && options.changes.length > 0) opts['changes'] = [...options.changes];
  const response = await docker.importImage(tar, opts);
  await followProgress(docker, response);
  const info = await imageInfo(docker, ref);
  if (info === undefined) throw new Error(`docker import finished but image ${ref} is missing`);
  return info;
}

/**
 * `docker build` on the classic builder (its `Step n/m` output is what Heroku's container builds print), on the host
 * network (the engine runs without a bridge), never pulling: a FROM the engine lacks fails rather than waits.
 */
export async function buildImage(docker: Docker, spec: ImageBuildSpec): Promise<ImageInfo> {
  const options: Record<string, unknown> = {
    t: spec.ref,
    dockerfile: spec.dockerfile,
    networkmode: 'host',
    rm: true,
    forcerm: true,
    ...(spec.target !== undefined ? { target: spec.target } : {}),
    ...(spec.buildArgs !== undefined ? { buildargs: { ...spec.buildArgs } } : {}),
    ...(spec.labels !== undefined ? { labels: { ...spec.labels } } : {}),
    ...(spec.signal !== undefined ? { abortSignal: spec.signal } : {}),
    // memswap equal to memory: no swap beyond the limit, as the slug compiler's build containers run.
    ...(spec.memoryBytes !== undefined ? { memory: spec.memoryBytes, memswap: spec.memoryBytes } : {}),
  };
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.buildImage(spec.context, options);
  } catch (error) {
    // The engine refused the request itself (a Dockerfile it cannot find, a bad target): its message says why.
    const message = (error as { json?: { message?: string } }).json?.message;
    if (message !== undefined) throw new ImageBuildError(message);
    throw error;
  }
  await new Promise<void>((resolve, reject) => {
    let failed: string | undefined;
    docker.modem.followProgress(
      response,
      (err: Error | null) => {
        if (failed !== undefined) return reject(new ImageBuildError(failed));
        if (err) return reject(err);
        resolve();
      },
      (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.stream !== undefined) spec.output?.write(event.stream);
        if (event.error !== undefined) failed = event.errorDetail?.message ?? event.error;
      },
    );
  });
  const info = await imageInfo(docker, spec.ref);
  if (info === undefined) throw new Error(`docker build finished but image ${spec.ref} is missing`);
  return info;
}

export async function tagImage(docker: Docker, ref: string, newRef: string): Promise<void> {
  const { repo, tag } = splitRef(newRef);
  await docker.getImage(ref).tag({ repo, tag });
}

export async function removeImage(docker: Docker, ref: string): Promise<void> {
  await ignoring([404], () => docker.getImage(ref).remove({ force: true }));
}

export async function commit(docker: Docker, id: string, ref: string, options: CommitOptions): Promise<ImageInfo> {
  const { repo, tag } = splitRef(ref);
  await docker.getContainer(id).commit({
    repo,
    tag,
    ...(options.changes !== undefined && options.changes.length > 0 ? { changes: [...options.changes] } : {}),
  });
  const info = await imageInfo(docker, ref);
  if (info === undefined) throw new Error(`docker commit finished but image ${ref} is missing`);
  return info;
}

export async function listImages(docker: Docker, labels: readonly string[]): Promise<ImageInfo[]> {
  const list = await docker.listImages({ filters: { label: [...labels] } });
  return list.map((image) => ({
    id: image.Id,
    ref: image.RepoTags?.[0] ?? image.Id,
    sizeBytes: image.Size,
    created: new Date(image.Created * 1000).toISOString(),
    labels: image.Labels ?? {},
  }));
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
      if (err) return reject(err);
      const failed = events.find((e) => e.error !== undefined);
      if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
      resolve();
    });
  });
}

/** The engine reports ENTRYPOINT and CMD as lists; its types also allow a bare string. */
function asList(value: string | string[] | null | undefined): readonly string[] | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? [value] : value;
}
