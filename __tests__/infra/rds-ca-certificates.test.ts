/**
 * The committed RDS CA roots (infra/kong/certs/<region>-rds-ca-rsa2048-g1.pem), which production
 * Kong trusts for its database connection. Each is public data from AWS's global bundle
 * (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem), copied from a public copy of
 * that bundle and checked byte-identical in a second, unrelated one; the records below say where.
 * This file fails when a committed certificate changes (a replacement is reviewed against new
 * records, not waved through) or comes within 90 days of expiry (time to add the successor).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { committedRdsCaFile, RDS_CA_DIRECTORY, RDS_CA_IDENTIFIER } from '../../lib/contracts/rds-ca';
import { validateCaBundle } from '../../lib/util/ca-bundle';

const ROOT = path.join(__dirname, '..', '..');
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long before a certificate's expiry this test starts failing. */
const EXPIRY_WARNING_DAYS = 90;

/** Where one committed certificate came from and what it must be. */
interface CommittedRoot {
  readonly region: string;
  /** Public copies of AWS's global bundle the PEM block was found in, byte for byte. */
  readonly sources: readonly {
    readonly repository: string;
    readonly path: string;
    readonly commit: string;
  }[];
  /** As node prints it (one RDN a line; the comma in the organization escaped). */
  readonly subject: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the certificate (DER), as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  /** SHA-256 of the committed file's bytes. */
  readonly fileSha256: string;
}

const COMMITTED: readonly CommittedRoot[] = [
  {
    region: 'eu-west-1',
    // Two different downloads of the bundle (174,184 and 156,220 characters: with and without the
    // expired 2019 CAs) in two unrelated projects hold the identical block.
    sources: [
      {
        repository: 'huggingface/chat-ui',
        path: 'global-bundle.pem',
        commit: '3dbeff3845073723ebbf61f7d9c95847f0d45c1c',
      },
      {
        repository: 'phenobarbital/asyncdb',
        path: 'global-bundle.pem',
        commit: '18a8b72c9df2d73017a3a44958404f3b3189fbec',
      },
    ],
    subject:
      'C=US\nO=Amazon Web Services\\, Inc.\nOU=Amazon RDS\nST=WA\nCN=Amazon RDS eu-west-1 Root CA RSA2048 G1\nL=Seattle',
    serial: 'C827CA2916CF8EB163AC91822630677B',
    notBefore: '2021-05-20T16:49:12.000Z',
    notAfter: '2061-05-20T17:49:12.000Z',
    fingerprintSha256:
      '6F:7E:01:B6:2A:F2:40:58:41:71:30:B2:1E:5F:B9:AD:9F:29:B2:9C:77:5C:51:07:B6:57:41:90:10:97:58:86',
    fileSha256: '6f8eb75556c8f7077bf118603050d653bfc69aab5e6e788e71fc371f7daee6e1',
  },
];

describe.each(COMMITTED)('the committed $region root of rds-ca-rsa2048-g1', (root) => {
  const file = path.join(ROOT, committedRdsCaFile(root.region));
  const text = fs.readFileSync(file, 'utf8');
  const cert = new crypto.X509Certificate(text);

  it('is the file recorded here, byte for byte (a change needs new, checked records)', () => {
    expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(root.fileSha256);
    expect(cert.fingerprint256).toBe(root.fingerprintSha256);
  });

  it('holds exactly one certificate, the region root the database CA identifier names', () => {
    expect(text.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(1);
    // The file is the PEM block alone, so it can be compared with the sources as it is.
    expect(validateCaBundle(text, file)).toBe(text);
    expect(RDS_CA_IDENTIFIER).toBe('rds-ca-rsa2048-g1');
    expect(cert.subject).toBe(root.subject);
    expect(cert.subject).toContain(`CN=Amazon RDS ${root.region} Root CA RSA2048 G1`);
    expect(cert.serialNumber).toBe(root.serial);
  });

  it('is a self-signed CA root whose signature verifies (the copy is not corrupted)', () => {
    expect(cert.ca).toBe(true);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it(`is valid now and for at least ${EXPIRY_WARNING_DAYS} more days`, () => {
    expect(new Date(cert.validFrom).toISOString()).toBe(root.notBefore);
    expect(new Date(cert.validTo).toISOString()).toBe(root.notAfter);
    const now = Date.now();
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(now);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(now + EXPIRY_WARNING_DAYS * DAY_MS);
  });

  it('records two unrelated public copies of the global bundle as sources', () => {
    const owners = new Set(root.sources.map((s) => s.repository.split('/')[0]));
    expect(owners.size).toBeGreaterThanOrEqual(2);
    for (const s of root.sources) expect(s.commit).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('the committed RDS CA directory', () => {
  it('holds a record here for every committed root (a <region>-rds-ca-rsa2048-g1.pem default)', () => {
    const pems = fs
      .readdirSync(path.join(ROOT, RDS_CA_DIRECTORY))
      .filter((f) => f.endsWith(`-${RDS_CA_IDENTIFIER}.pem`))
      .sort();
    expect(pems).toEqual(COMMITTED.map((r) => path.basename(committedRdsCaFile(r.region))).sort());
  });
});
