import { describe, expect, it } from 'vitest';
import { parseDeb822, parseSourcesList, pickMirror } from '../../src/stack/index.js';

describe('mirror from the host apt sources', () => {
  it('reads the main archive from deb822 .sources, skipping comments and security', () => {
    const text = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
    ].join('\n');
    expect(pickMirror(parseDeb822(text))).toBe('http://deb.debian.org/debian');
  });

  it('prefers a plain suite over -updates, ignores deb-src and disabled paragraphs', () => {
    const text = [
      'Types: deb-src',
      'URIs: http://src.example/debian',
      'Suites: trixie',
      '',
      'Types: deb',
      'URIs: http://disabled.example/debian',
      'Suites: trixie',
      'Enabled: no',
      '',
      'Types: deb',
      'URIs: http://updates.example/debian/',
      'Suites: trixie-updates',
      '',
      'Types: deb deb-src',
      'URIs: http://mirror.example/debian/',
      'Suites: trixie',
      'Signed-By:',
      ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
      ' .',
      ' mQINBF...',
    ].join('\n');
    expect(pickMirror(parseDeb822(text))).toBe('http://mirror.example/debian');
  });

  it('reads one-line sources.list entries, with options and comments', () => {
    const text = [
      '# deb http://commented.example/debian bookworm main',
      'deb-src http://src.example/debian bookworm main',
      'deb http://security.debian.org/debian-security bookworm-security main',
      'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] https://ftp.example.org/debian/ bookworm main contrib',
    ].join('\n');
    expect(pickMirror(parseSourcesList(text))).toBe('https://ftp.example.org/debian');
  });

  it('returns undefined when nothing usable is listed', () => {
    expect(pickMirror(parseSourcesList('deb cdrom:[Debian]/ bookworm main\n'))).toBeUndefined();
    expect(pickMirror(parseDeb822(''))).toBeUndefined();
  });
});
