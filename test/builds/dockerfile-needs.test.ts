// What a Dockerfile asks of an offline engine, read before its build: FROM images (not earlier stages, not scratch),
// ARG-built FROMs, and ADD of URLs.
import { describe, expect, it } from 'vitest';
import { dockerfileNeeds } from '../../src/builds/dockerfile-needs.js';

describe('dockerfileNeeds', () => {
  it('names the FROM images, skipping stages, scratch and flags; ARGs before FROM and build args resolve them', () => {
    const text = [
      'ARG BASE=heroku/heroku:24',
      'ARG TAG',
      'FROM --platform=linux/amd64 ${BASE} AS build',
      'RUN make',
      'FROM build AS test',
      'FROM scratch',
      'COPY --from=build /out /out',
      'FROM node:${TAG}-slim',
    ].join('\n');
    expect(dockerfileNeeds(text, { TAG: '22' })).toEqual({ images: ['heroku/heroku:24', 'node:22-slim'], unresolved: [], urls: [] });
    expect(dockerfileNeeds(text, { BASE: 'debian:13' }).unresolved).toEqual(['FROM node:${TAG}-slim']);
    expect(dockerfileNeeds(text, { BASE: 'debian:13', TAG: '22' }).images[0]).toBe('debian:13');
  });

  it('finds ADD of URLs, in shell and JSON form, but not local sources', () => {
    const text = ['FROM heroku/heroku:24', 'ADD https://example.test/a.tgz /opt/', 'ADD ["http://example.test/b", "/b"]', 'ADD local.tgz /opt/', 'COPY https.txt /x'].join('\n');
    expect(dockerfileNeeds(text, {}).urls).toEqual(['https://example.test/a.tgz', 'http://example.test/b']);
  });
});
