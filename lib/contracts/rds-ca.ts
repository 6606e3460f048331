/**
 * The RDS certificate authority, shared by the database construct (which CA signs the server
 * certificate) and the settings (which committed root Kong trusts): neither can change it alone.
 */

/** The RDS server certificate authority the instance uses (`ca_cert_identifier`). */
export const RDS_CA_IDENTIFIER = 'rds-ca-rsa2048-g1';

/** Directory of the committed RDS CA certificates, relative to the repository root. */
export const RDS_CA_DIRECTORY = 'infra/kong/certs';

/**
 * The committed root of {@link RDS_CA_IDENTIFIER} for `region`, relative to the repository root,
 * e.g. `infra/kong/certs/eu-west-1-rds-ca-rsa2048-g1.pem`. The default of
 * `database.tls.caBundleFile`; a region without such a file names a downloaded bundle instead.
 */
export function committedRdsCaFile(region: string): string {
  return `${RDS_CA_DIRECTORY}/${region}-${RDS_CA_IDENTIFIER}.pem`;
}
