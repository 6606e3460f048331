/** Checks on a PEM bundle of CA certificates, shared by the settings loader and the database construct. */
import * as crypto from 'crypto';

/**
 * Largest CA bundle accepted (PEM bytes). A regional RDS bundle is a few KiB; the global bundle is
 * far larger and, base64-encoded in an environment value, would not fit the 64 KiB an ECS task
 * definition may have.
 */
export const MAX_CA_BUNDLE_BYTES = 24 * 1024;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Checks that `pem` is a bundle of CA certificates only and small enough for a task definition.
 * Returns it normalized (certificates joined by newlines). `source` names it in errors.
 */
export function validateCaBundle(pem: string, source: string): string {
  if (Buffer.byteLength(pem, 'utf8') > MAX_CA_BUNDLE_BYTES) {
    throw new Error(
      `${source}: ${Buffer.byteLength(pem, 'utf8')} bytes is larger than ${MAX_CA_BUNDLE_BYTES}: use the regional RDS bundle (<region>-bundle.pem), not the global one, which would not fit an ECS task definition`,
    );
  }
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  const others = blocks.filter((b) => b[1] !== 'CERTIFICATE').map((b) => b[1]);
  if (others.length > 0) {
    throw new Error(`${source}: contains ${others.join(', ')}; a CA bundle holds certificates only`);
  }
  if (blocks.length === 0) {
    throw new Error(`${source}: no PEM certificate found (expected -----BEGIN CERTIFICATE----- blocks)`);
  }
  blocks.forEach((b, i) => {
    let cert: crypto.X509Certificate;
    try {
      cert = new crypto.X509Certificate(b[0]);
    } catch (err) {
      throw new Error(`${source}: certificate ${i + 1} does not parse: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!cert.ca) {
      throw new Error(`${source}: certificate ${i + 1} (${cert.subject}) is not a CA certificate`);
    }
  });
  return blocks.map((b) => b[0]).join('\n') + '\n';
}
