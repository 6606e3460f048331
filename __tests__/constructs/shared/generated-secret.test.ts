import { Fn } from 'cdktf';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Password } from '@cdktf/provider-random/lib/password';
import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { generatedSecret } from '../../../lib/constructs/shared/generated-secret';
import { checkovSkips } from '../../../lib/policy/checkov';
import { synthConstruct } from '../../support/synth';

describe('generatedSecret', () => {
  let secret: SecretsmanagerSecret | undefined;
  const synth = synthConstruct(({ stack }) => {
    const key = new KmsKey(stack, 'key', { description: 'test' });
    const password = new Password(stack, 'password', { length: 32, special: false });
    secret = generatedSecret(stack, {
      id: 'token',
      valueId: 'token-value',
      name: 'kgw-test/token',
      description: 'a token',
      kmsKeyArn: key.arn,
      recoveryWindowDays: 7,
      value: Fn.jsonencode({ token: password.result }),
      rotation: 'replaced in a deploy that also updates its reader',
    }).secret;
  });

  it('encrypts the secret with the given key and keeps it restorable for the window', () => {
    expect(synth.resource('aws_secretsmanager_secret')).toMatchObject({
      name: 'kgw-test/token',
      description: 'a token',
      kms_key_id: '${aws_kms_key.key.arn}',
      recovery_window_in_days: 7,
    });
  });

  it('stores the generated value, by reference, in a version of that secret', () => {
    const version = synth.resource('aws_secretsmanager_secret_version');
    expect(version.secret_id).toBe('${aws_secretsmanager_secret.token.id}');
    expect(version.secret_string).toBe('${jsonencode({"token" = random_password.password.result})}');
  });

  it('explains, to Checkov, how the value rotates without a rotation Lambda', () => {
    expect(checkovSkips(secret!)).toEqual([
      { id: 'CKV2_AWS_57', comment: 'replaced in a deploy that also updates its reader' },
    ]);
  });

  it('refuses a rotation reason a reviewer could not accept', () => {
    expect(() =>
      synthConstruct(({ stack }) => {
        generatedSecret(stack, {
          id: 's',
          valueId: 'v',
          name: 'n',
          description: 'd',
          kmsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/x',
          recoveryWindowDays: 7,
          value: 'x',
          rotation: 'n/a',
        });
      }),
    ).toThrow(/give a one-line reason/);
  });
});
