import type { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AwsEnvironment } from '../constructs/shared/aws-environment';
import { DeliveryIdentity } from '../constructs/delivery-identity/delivery-identity';
import { StateStore } from '../constructs/delivery-identity/state-store';
import { bootstrapStackName, stateObjectKey } from '../contracts/delivery-identity';
import type { BootstrapSettings } from '../settings/bootstrap-settings';
import type { Stage } from '../settings/load';
import { stackRules } from '../policy/rules';
import { applyStackPolicy } from '../policy/stack-policy-aspect';

/** Props of {@link BootstrapStack}. */
export interface BootstrapStackProps {
  /** The account's name in `config/bootstrap.json` (`accounts.<name>`). */
  readonly account: string;
  /** The validated bootstrap settings. */
  readonly settings: BootstrapSettings;
  /** The validated stages (the account's stages are looked up by name). */
  readonly stages: readonly Stage[];
}

/** The partition of a region. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Where the bootstrap state lives once handed over to the bucket (docs/runbooks/bootstrap-state.md). */
export const BOOTSTRAP_STATE_KEY = 'kong-gateway/bootstrap.tfstate';

/**
 * What one AWS account needs before the gateway stacks can be deployed from GitHub: the state
 * store, the GitHub OIDC provider and, per stage of the account, the permissions boundary, the plan
 * role and the deploy role. Not a stage: one per account, settings in `config/bootstrap.json`,
 * deployed once by an administrator (`cdktf deploy kong-gateway-bootstrap-<account>`), state local
 * until handed over to the bucket it creates.
 */
export class BootstrapStack extends TerraformStack {
  readonly stateStore: StateStore;
  readonly identity: DeliveryIdentity;

  constructor(scope: Construct, props: BootstrapStackProps) {
    super(scope, bootstrapStackName(props.account));
    const { settings } = props;
    const account = settings.accounts[props.account];
    if (!account) throw new Error(`BootstrapStack: no account "${props.account}" in the bootstrap settings`);
    const tags = { ...settings.defaultTags, Component: 'bootstrap', ManagedBy: 'cdktf' };

    new AwsProvider(this, 'aws', {
      region: account.region,
      // Credentials of another account fail the plan instead of bootstrapping the wrong account.
      allowedAccountIds: [account.accountId],
      defaultTags: [{ tags }],
    });
    if (account.stateInBucket) {
      const backend = new S3Backend(this, {
        bucket: account.stateBucket.name,
        key: BOOTSTRAP_STATE_KEY,
        region: account.region,
        encrypt: true,
      });
      backend.addOverride('use_lockfile', true);
    } else {
      // Relative to the stack's directory (cdktf.out/stacks/<stack>): the repository root, where
      // `rm -rf cdktf.out` never reaches it (git-ignored: terraform.*.tfstate).
      new LocalBackend(this, { path: `../../../terraform.${bootstrapStackName(props.account)}.tfstate` });
    }

    const environment = new AwsEnvironment(this, 'environment', { region: account.region });
    this.stateStore = new StateStore(this, 'state', {
      environment,
      bucketName: account.stateBucket.name,
      existingBucket: account.stateBucket.existing,
      ...(account.existingStateKeyId ? { existingKeyId: account.existingStateKeyId } : {}),
    });

    const stageByName = new Map(props.stages.map((s) => [s.name, s]));
    this.identity = new DeliveryIdentity(this, 'identity', {
      partition: partitionOf(account.region),
      accountId: account.accountId,
      region: account.region,
      repository: settings.github.repository,
      stateBucket: account.stateBucket.name,
      stateKeyArn: this.stateStore.key.arn,
      existingOidcProvider: account.existingOidcProvider,
      stages: Object.entries(account.stages).map(([stage, s]) => {
        const backend = stageByName.get(stage)?.settings.backend;
        return {
          stage,
          // A remote stage keeps its own key; a local one is pointed at kong-gateway/<stage>.tfstate in CI.
          stateObjectKey: backend?.type === 's3' ? backend.key : stateObjectKey(stage),
          pullRequests: settings.github.pullRequestStages.includes(stage),
          ...(s.planRole ? { existingPlanRoleName: s.planRole.existingName } : {}),
          ...(s.deployRole ? { existingDeployRoleName: s.deployRole.existingName } : {}),
          ...(s.hostedZoneId ? { hostedZoneId: s.hostedZoneId } : {}),
        };
      }),
    });

    // ARNs and names only: what the GitHub settings need (runbook, step 3).
    new TerraformOutput(this, 'state_bucket', { value: this.stateStore.bucket.bucket });
    new TerraformOutput(this, 'state_key_arn', { value: this.stateStore.key.arn });
    for (const [stage, ids] of Object.entries(this.identity.stages)) {
      new TerraformOutput(this, `plan_role_arn_${stage.replace(/-/g, '_')}`, { value: ids.planRole.arn });
      new TerraformOutput(this, `deploy_role_arn_${stage.replace(/-/g, '_')}`, { value: ids.deployRole.arn });
    }

    applyStackPolicy(this, stackRules(Object.keys(tags)));
  }
}
