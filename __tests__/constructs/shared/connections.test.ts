import { TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { connect, Connections, Peers } from '../../../lib/constructs/shared/connections';
import { SynthesizedStack } from '../../support/synth';

/** A stack with two owners, `api` and `db`, each with a group and its Connections. */
function owners(): { stack: TerraformStack; api: Connections; db: Connections; dbOwner: Construct } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'connections-under-test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const apiOwner = new Construct(stack, 'api');
  const dbOwner = new Construct(stack, 'db');
  const api = new Connections(apiOwner, new SecurityGroup(apiOwner, 'sg', { name: 'api', vpcId: 'vpc-1' }));
  const db = new Connections(dbOwner, new SecurityGroup(dbOwner, 'sg', { name: 'db', vpcId: 'vpc-1' }));
  return { stack, api, db, dbOwner };
}

function synth(stack: TerraformStack): SynthesizedStack {
  return new SynthesizedStack(JSON.parse(Testing.synth(stack)));
}

describe('Connections', () => {
  it('GIVEN two owners WHEN connected THEN one egress and one ingress rule, each named <direction>-<port>-<peer>', () => {
    const { stack, api, db } = owners();
    const rules = connect(api, db, 5432, { egress: 'PostgreSQL', ingress: 'PostgreSQL from the API' });
    expect(rules.egress.node.path).toBe('connections-under-test/api/egress-5432-db-sg');
    expect(rules.ingress.node.path).toBe('connections-under-test/db/ingress-5432-api-sg');
    const out = synth(stack);
    expect(out.resource('aws_vpc_security_group_egress_rule')).toMatchObject({
      security_group_id: expect.stringMatching(/^\$\{aws_security_group\.api_sg_[A-F0-9]+\.id\}$/),
      referenced_security_group_id: expect.stringMatching(/^\$\{aws_security_group\.db_sg_[A-F0-9]+\.id\}$/),
      ip_protocol: 'tcp',
      from_port: 5432,
      to_port: 5432,
      description: 'PostgreSQL',
    });
    const ingress = out.resource('aws_vpc_security_group_ingress_rule');
    expect(ingress).toMatchObject({
      security_group_id: expect.stringMatching(/db_sg/),
      referenced_security_group_id: expect.stringMatching(/api_sg/),
      from_port: 5432,
      description: 'PostgreSQL from the API',
    });
    expect(ingress.cidr_ipv4).toBeUndefined();
  });

  it('keys a CIDR rule by the CIDR itself and a prefix-list rule by its owner', () => {
    const { api, dbOwner } = owners();
    expect(api.allowFrom(Peers.ipv4('203.0.113.0/24'), 443, 'clients').node.id).toBe(
      'ingress-443-203-0-113-0-24',
    );
    expect(api.allowTo(Peers.anyIpv4(), 443, 'internet').node.id).toBe('egress-443-0-0-0-0-0');
    const endpoint = new Construct(dbOwner, 'endpoint-s3');
    const s3 = api.allowTo(Peers.prefixList(endpoint, 'pl-123'), 443, 'S3');
    expect(s3.node.id).toBe('egress-443-db-endpoint-s3');
    expect(s3.prefixListIdInput).toBe('pl-123');
  });

  it('GIVEN a rule WHEN the same peer and port are allowed again THEN it throws, naming both', () => {
    const { api, db } = owners();
    api.allowFrom(db.securityGroup, 8080, 'first');
    expect(() => api.allowFrom(db.securityGroup, 8080, 'second')).toThrow(
      'connections-under-test/api: ingress on port 8080 from security group connections-under-test/db/sg is already allowed (rule "ingress-8080-db-sg"); allow each peer and port once',
    );
    expect(() => api.allowFrom(Peers.ipv4('10.0.0.0/8'), 443, 'a')).not.toThrow();
    expect(() => api.allowFrom(Peers.ipv4('10.0.0.0/8'), 443, 'b')).toThrow(
      /from 10\.0\.0\.0\/8 is already allowed/,
    );
    // Another port, or the other direction, is another rule.
    expect(() => api.allowFrom(db.securityGroup, 8081, 'other port')).not.toThrow();
    expect(() => api.allowTo(db.securityGroup, 8080, 'egress')).not.toThrow();
  });

  it.each([['10.0.0.0'], ['10.0.0.256/8'], ['10.0.0.0/33'], ['::/0'], ['ten/8']])(
    'refuses %s as an IPv4 CIDR',
    (cidr) => {
      expect(() => Peers.ipv4(cidr)).toThrow(`Peers.ipv4: "${cidr}" is not an IPv4 CIDR`);
    },
  );

  it.each([[0], [65536], [80.5]])('refuses port %s', (port) => {
    const { api, db } = owners();
    expect(() => api.allowFrom(db.securityGroup, port, 'x')).toThrow(/is not a TCP port/);
  });
});
