import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { injectableSecrets, type InjectedSecrets } from '../../../lib/constructs/shared/injected-secrets';
import { policyDocument, synthConstruct } from '../../support/synth';

describe('injectableSecrets', () => {
  let secrets: InjectedSecrets | undefined;
  let roles: IamRole[] = [];
  const synth = synthConstruct(({ stack }) => {
    const secret = new SecretsmanagerSecret(stack, 'token', { name: 'token' });
    const version = new SecretsmanagerSecretVersion(stack, 'token-value', {
      secretId: secret.id,
      secretString: 't',
    });
    secrets = injectableSecrets(stack, 'read-token', {
      subject: 'RateLimitStoreAuthToken',
      secretArns: [secret.arn],
      keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      region: 'eu-west-1',
      containerSecrets: [{ name: 'TOKEN', valueFrom: secret.arn }],
      versions: [version],
    });
    roles = ['a', 'b'].map((n) => new IamRole(stack, `role-${n}`, { name: n, assumeRolePolicy: '{}' }));
    for (const role of roles) secrets.grantRead(role);
  });

  it('GIVEN two roles WHEN each is granted THEN one policy per role, named for the subject, under the role', () => {
    const grants = synth.resources('aws_iam_role_policy');
    expect(grants.map((g) => g.name).sort()).toEqual([
      expect.stringMatching(/^role-a_read-rate-limit-store-auth-token_[A-F0-9]{8}$/),
      expect.stringMatching(/^role-b_read-rate-limit-store-auth-token_[A-F0-9]{8}$/),
    ]);
    for (const g of grants) {
      expect(g.values.name).toBe('read-rate-limit-store-auth-token');
      const doc = policyDocument(synth, g.values.policy);
      expect(doc.statement.map((s: { sid: string }) => s.sid)).toEqual([
        'ReadRateLimitStoreAuthToken',
        'DecryptRateLimitStoreAuthToken',
      ]);
    }
  });

  it('hands over the container entries and the versions to wait for', () => {
    expect(secrets!.containerSecrets.map((s) => s.name)).toEqual(['TOKEN']);
    expect(secrets!.versions).toHaveLength(1);
  });

  it('GIVEN a role already granted WHEN granted again THEN it throws, naming the role', () => {
    expect(() => secrets!.grantRead(roles[0]!)).toThrow(
      'construct-under-test: construct-under-test/role-a already has the grant "read-rate-limit-store-auth-token"',
    );
  });
});
