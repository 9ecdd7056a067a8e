import { afterEach, describe, expect, it } from 'vitest';
import { SourcesService } from '../../src/sources/index.js';
import { Store } from '../../src/store/index.js';

describe('SourcesService.reference: a build\'s source_blob.url, parsed once', () => {
  let store: Store | undefined;
  afterEach(() => store?.close());

  function sources(): SourcesService {
    store = new Store({ file: ':memory:', logHistoryLines: 10 });
    return new SourcesService(store, {
      dataDir: '/nonexistent',
      maxBytes: 1024,
      graceSeconds: 600,
      ownPrefixes: () => ['http://127.0.0.1:5100/sources/', 'https://127.0.0.1:5101/sources/'],
    });
  }

  it('names one of our blobs by id and secret, under either of our prefixes', () => {
    const service = sources();
    expect(service.reference('http://127.0.0.1:5100/sources/id-1/secret-1')).toEqual({
      kind: 'blob',
      id: 'id-1',
      secret: 'secret-1',
      url: 'http://127.0.0.1:5100/sources/id-1/secret-1',
    });
    expect(service.reference('https://127.0.0.1:5101/sources/id-2/secret-2?x=1')).toMatchObject({ kind: 'blob', id: 'id-2', secret: 'secret-2' });
  });

  it('names a file:// path as a path, and anything else as a URL to download when the build runs', () => {
    const service = sources();
    expect(service.reference('file:///tmp/app%20src.tgz')).toEqual({ kind: 'file', path: '/tmp/app src.tgz', url: 'file:///tmp/app%20src.tgz' });
    expect(service.reference('https://example.test/app.tgz')).toEqual({ kind: 'url', url: 'https://example.test/app.tgz' });
    expect(service.reference('not a url')).toEqual({ kind: 'url', url: 'not a url' });
  });

  it('fails the build, not the API call, for a blob that was never uploaded', async () => {
    const service = sources();
    await expect(service.fetchTo(service.reference('http://127.0.0.1:5100/sources/nope/nope'), '/nonexistent/x')).rejects.toThrow(
      'The source blob http://127.0.0.1:5100/sources/nope/nope does not exist or was never uploaded.',
    );
  });
});
