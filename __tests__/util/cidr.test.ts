import { cidrPrefixLength, cidrSubnet, isValidIpv4Cidr } from '../../lib/util/cidr';

describe('isValidIpv4Cidr', () => {
  it.each(['10.0.0.0/16', '192.168.10.0/24', '0.0.0.0/0', '10.20.30.40/32'])('accepts %s', (cidr) => {
    expect(isValidIpv4Cidr(cidr)).toBe(true);
  });

  it.each([
    ['10.0.0.0/33', 'prefix above 32'],
    ['10.0.0.256/24', 'octet above 255'],
    ['10.0.0/16', 'three octets'],
    ['10.0.0.0', 'no prefix'],
    ['10.0.1.0/16', 'host bits set'],
    [' 10.0.0.0/16', 'leading blank'],
  ])('rejects %s (%s)', (cidr) => {
    expect(isValidIpv4Cidr(cidr)).toBe(false);
  });
});

describe('cidrSubnet', () => {
  it('carves like terraform cidrsubnet()', () => {
    expect(cidrSubnet('10.30.0.0/16', 4, 0)).toBe('10.30.0.0/20');
    expect(cidrSubnet('10.30.0.0/16', 4, 1)).toBe('10.30.16.0/20');
    expect(cidrSubnet('10.30.0.0/16', 4, 15)).toBe('10.30.240.0/20');
    expect(cidrSubnet('192.168.0.0/24', 4, 9)).toBe('192.168.0.144/28');
  });

  it('rejects an index that does not fit', () => {
    expect(() => cidrSubnet('10.30.0.0/16', 4, 16)).toThrow(/does not fit/);
  });

  it('rejects a prefix that would exceed /32', () => {
    expect(() => cidrSubnet('10.0.0.0/30', 4, 0)).toThrow(/cannot add/);
  });

  it('reports the prefix length', () => {
    expect(cidrPrefixLength('10.0.0.0/18')).toBe(18);
    expect(() => cidrPrefixLength('nope')).toThrow(/not an IPv4 CIDR/);
  });
});
