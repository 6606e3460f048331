/**
 * Static checks of the image definition (no Docker engine here: the delivery workflow builds it).
 * They guard the properties the task definition relies on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SERVICE = path.resolve(__dirname, '..');

/** Dockerfile instructions as [KEYWORD, arguments], continuation lines joined, comments dropped. */
function instructions(text: string): [string, string][] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => {
      const [keyword, ...rest] = l.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(' ')];
    });
}

describe('Dockerfile', () => {
  const all = instructions(fs.readFileSync(path.join(SERVICE, 'Dockerfile'), 'utf8'));
  const lastFrom = all.map(([k]) => k).lastIndexOf('FROM');
  const runtime = all.slice(lastFrom);
  const arg = (k: string): string[] => runtime.filter(([kw]) => kw === k).map(([, a]) => a);

  it('is multi-stage: the runtime stage copies only the compiled output from the build stage', () => {
    expect(all.filter(([k]) => k === 'FROM')).toHaveLength(2);
    expect(arg('COPY')).toEqual(['--from=build /build/dist ./dist']);
  });

  it('builds from a pinned Node alpine base (overridable by digest)', () => {
    expect(all[0]).toEqual(['ARG', expect.stringMatching(/^NODE_IMAGE=node:\d+(\.\d+)*-alpine[\d.]*$/)]);
  });

  it('runs as a numeric non-root user', () => {
    const users = arg('USER');
    expect(users).toHaveLength(1);
    expect(users[0]).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  it('checks health with node itself (no curl or wget in the image)', () => {
    expect(arg('HEALTHCHECK')).toEqual([expect.stringMatching(/CMD \["node", "dist\/healthcheck\.js"\]$/)]);
    expect(all.map(([, a]) => a).join('\n')).not.toMatch(/\b(curl|wget|apk add)\b/);
  });

  it('starts node directly (not npm, which writes to disk and swallows SIGTERM)', () => {
    expect(arg('CMD')).toEqual(['["node", "dist/main.js"]']);
    expect(arg('STOPSIGNAL')).toEqual(['SIGTERM']);
  });
});

describe('.dockerignore', () => {
  it('allow-lists exactly what the build stage copies', () => {
    const lines = fs
      .readFileSync(path.join(SERVICE, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines).toEqual(['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!src/']);
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/main.ts']) {
      expect(fs.existsSync(path.join(SERVICE, file))).toBe(true);
    }
  });
});
