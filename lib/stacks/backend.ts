import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import type { StageSettings } from '../settings/stage-settings';
import { stackName } from '../contracts/naming';

/** The stage's Terraform state backend (shared with the LocalStack stack). */
export function configureBackend(
  stack: TerraformStack,
  stageName: string,
  backend: StageSettings['backend'],
): void {
  if (backend.type === 'local') {
    new LocalBackend(stack, { path: backend.path ?? `terraform.${stackName(stageName)}.tfstate` });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: backend.key,
    region: backend.region,
    encrypt: true,
    ...(backend.kmsKeyId ? { kmsKeyId: backend.kmsKeyId } : {}),
    ...(backend.dynamodbTable ? { dynamodbTable: backend.dynamodbTable } : {}),
  });
  // cdktf 0.21's S3Backend predates S3-native locking (Terraform/OpenTofu >= 1.10).
  if (backend.useLockfile) s3.addOverride('use_lockfile', true);
}
