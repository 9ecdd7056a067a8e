// Images on dockerode: inspect, import a root filesystem, commit a container, list by label, remove.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { splitRef, type CommitOptions, type ImageInfo, type ImportOptions } from '../port.js';
import { ignoring, statusOf } from './errors.js';

export async function imageInfo(docker: Docker, ref: string): Promise<ImageInfo | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, ref, sizeBytes: info.Size, created: info.Created, labels: info.Config?.Labels ?? {} };
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
