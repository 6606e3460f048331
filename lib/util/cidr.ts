/**
 * IPv4 CIDR arithmetic done at synth time, so subnet layouts are plain values that tests (and
 * reviewers reading `cdktf diff`) can see, instead of `cidrsubnet()` calls resolved at plan time.
 */

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function parse(cidr: string): { base: number; prefix: number } | undefined {
  const m = CIDR.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base, prefix };
}

function hostMask(prefix: number): number {
  return 2 ** (32 - prefix) - 1;
}

function format(base: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join('.')}/${prefix}`;
}

/** True for `a.b.c.d/n` with every octet <= 255, n <= 32 and the host bits zero. */
export function isValidIpv4Cidr(cidr: string): boolean {
  const parsed = parse(cidr);
  if (!parsed) return false;
  return parsed.base % (hostMask(parsed.prefix) + 1) === 0;
}

/** The prefix length of a valid CIDR. */
export function cidrPrefixLength(cidr: string): number {
  const parsed = parse(cidr);
  if (!parsed) throw new Error(`not an IPv4 CIDR: "${cidr}"`);
  return parsed.prefix;
}

/**
 * The `index`-th subnet of `cidr` that is `newBits` longer, like Terraform's `cidrsubnet()`.
 * @throws when the index does not fit in `newBits`
 */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const parsed = parse(cidr);
  if (!parsed || !isValidIpv4Cidr(cidr)) throw new Error(`not an IPv4 CIDR: "${cidr}"`);
  const prefix = parsed.prefix + newBits;
  if (prefix > 32) throw new Error(`cannot add ${newBits} bits to ${cidr}`);
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** newBits) {
    throw new Error(`subnet index ${index} does not fit in ${newBits} bits of ${cidr}`);
  }
  return format(parsed.base + index * (hostMask(prefix) + 1), prefix);
}
