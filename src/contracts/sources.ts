/**
 * Where a build's source tarball comes from, parsed once where it enters Berth (the API's `source_blob.url`, a git
 * push) so that no room parses a URL back into an id and a secret. `url` is the URL as given: the build record and
 * the API show it (`source_blob.url`), and fetch errors name it.
 */
export type SourceRef =
  /** One of Berth's own source blobs (`POST /sources`, or the tarball of a push): read from the data dir. */
  | { readonly kind: 'blob'; readonly id: string; readonly secret: string; readonly url: string }
  /** A `file://` path on this machine. */
  | { readonly kind: 'file'; readonly path: string; readonly url: string }
  /** Anything else: downloaded when the build runs (an invalid URL fails the build, as on Heroku). */
  | { readonly kind: 'url'; readonly url: string };
