import { Construct } from 'constructs';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { AwsEnvironment } from '../shared/aws-environment';
import { skipCheckov, skipCheckovOptOut } from '../../policy/checkov';
import type { Naming } from '../../contracts/naming';
import { Connections, Peers } from '../shared/connections';
import type { Network } from '../network/network';

/** The TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward-secret ciphers only. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
/** Prefix of the access-log objects inside the bucket. */
const ACCESS_LOG_PREFIX = 'alb';

/** A custom domain served over HTTPS. */
export interface LoadBalancerDomain {
  /** Fully qualified name clients call, e.g. `gateway.example.com`. */
  readonly name: string;
  /** Route 53 hosted zone that holds `name` (the alias and the certificate's validation record). */
  readonly hostedZoneId: string;
}

/** Props of {@link LoadBalancer}. */
export interface LoadBalancerProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account and partition for the access-log bucket policy. */
  readonly environment: AwsEnvironment;
  /** The ALB goes into the public subnets; the target group into the VPC. */
  readonly network: Network;
  /**
   * Custom domain: Route 53 alias, DNS-validated ACM certificate, HTTPS listener, HTTP -> HTTPS.
   * @default none: a plain-HTTP listener forwards (development only; API keys then travel in clear)
   */
  readonly domain?: LoadBalancerDomain;
  /**
   * Source ranges allowed to reach 80/443.
   * @default ["0.0.0.0/0"]
   */
  readonly allowedCidrs?: readonly string[];
  /**
   * Seconds a connection may stay idle; long LLM responses need more than the ALB's 60.
   * @default 300
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Seconds a deregistered Kong task keeps serving its in-flight requests (streaming responses)
   * before ECS stops it: the longest stream that survives a Kong deploy or scale-in (0..3600).
   * @default 300
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Refuse to delete the ALB (Terraform then fails on destroy until it is turned off).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Write access logs to an SSE-S3 bucket of this stage (ALB logs cannot use SSE-KMS).
   * @default true
   */
  readonly accessLogs?: boolean;
  /**
   * Days access-log objects are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * The port targets serve traffic on.
   * @default 8000 (Kong's proxy listener)
   */
  readonly targetPort?: number;
  /**
   * The port and path of the target health check: Kong's status listener `/status`, which answers
   * 200 while nginx runs. Not `/status/ready`: it fails while the database is unreachable, and an
   * RDS failover would then make ECS kill every task.
   * @default { port: 8100, path: "/status" }
   */
  readonly healthCheck?: { readonly port: number; readonly path: string };
}

/**
 * The public entry point: an Application Load Balancer in the public subnets with its own security
 * group (80/443 from the allowed ranges, egress only to the targets' group on their ports), HTTPS
 * with a DNS-validated certificate when the stage has a domain, and one IP target group for Kong.
 */
export class LoadBalancer extends Construct {
  /** The load balancer. */
  readonly alb: Lb;
  /** Kong's proxy targets (IP, HTTP). */
  readonly targetGroup: LbTargetGroup;
  /** The ALB's own security group. */
  readonly securityGroup: SecurityGroup;
  /**
   * The rules of {@link securityGroup}: clients in from the allowed CIDRs; out only to the peers
   * the stack connects (Kong's proxy and status ports).
   */
  readonly connections: Connections;
  /** The listeners; an ECS service attached to the target group must depend on them. */
  readonly listeners: LbListener[] = [];
  /** `https://<domain>` or, without a domain, `http://<alb dns name>`. */
  readonly baseUrl: string;
  /** Whether clients reach the ALB over HTTPS. */
  readonly https: boolean;
  /** The idle timeout in seconds, so targets can keep connections open longer. */
  readonly idleTimeoutSeconds: number;
  /** `app/<lb>/<id>/targetgroup/<tg>/<id>`: the label of the ALBRequestCountPerTarget metric. */
  readonly requestCountResourceLabel: string;
  /** The access-log bucket, when access logs are on. */
  readonly accessLogBucket?: S3Bucket;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    const { naming, network } = props;
    this.idleTimeoutSeconds = props.idleTimeoutSeconds ?? 300;
    this.https = props.domain !== undefined;
    const deletionProtection = props.deletionProtection ?? true;
    const targetPort = props.targetPort ?? 8000;
    const healthCheck = props.healthCheck ?? { port: 8100, path: '/status' };
    const deregistrationDelay = props.deregistrationDelaySeconds ?? 300;
    if (!Number.isInteger(deregistrationDelay) || deregistrationDelay < 0 || deregistrationDelay > 3600) {
      throw new Error(
        `LoadBalancer: deregistrationDelaySeconds ${deregistrationDelay} is invalid: expected a whole number 0..3600 (the ALB's limit)`,
      );
    }

    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: naming.name('alb'),
      description: `Public load balancer of ${naming.prefix}: 80/443 in, Kong's ports out`,
      vpcId: network.vpc.id,
      tags: { Name: naming.name('alb') },
    });
    this.connections = new Connections(this, this.securityGroup);
    const publicPorts = this.https ? [80, 443] : [80];
    // Rules are keyed by the CIDR (`ingress-443-10-0-0-0-8`): reordering the list changes nothing.
    for (const cidr of props.allowedCidrs ?? ['0.0.0.0/0']) {
      for (const port of publicPorts) {
        const rule = this.connections.allowFrom(
          Peers.ipv4(cidr),
          port,
          port === 80 && this.https ? 'HTTP (redirected to HTTPS)' : `Clients on ${port}`,
        );
        if (port === 80 && cidr === '0.0.0.0/0') {
          // Plain HTTP without a domain is an opt-out; the redirect with one is by design.
          (this.https ? skipCheckov : skipCheckovOptOut)(
            rule,
            'CKV_AWS_260',
            this.https
              ? 'public ALB: port 80 only answers a redirect to HTTPS'
              : 'public ALB of a stage without a domain: plain HTTP on 80 (README warns; production requires a domain)',
          );
        }
      }
    }

    const accessLogs =
      (props.accessLogs ?? true) ? this.createAccessLogBucket(props, !deletionProtection) : undefined;
    this.accessLogBucket = accessLogs?.bucket;

    this.alb = new Lb(this, 'alb', {
      name: naming.shortName('alb'),
      internal: false,
      loadBalancerType: 'application',
      securityGroups: [this.securityGroup.id],
      subnets: network.publicSubnets.map((s) => s.id),
      idleTimeout: this.idleTimeoutSeconds,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: deletionProtection,
      ...(accessLogs
        ? {
            accessLogs: { bucket: accessLogs.bucket.bucket, prefix: ACCESS_LOG_PREFIX, enabled: true },
            // ELB checks it may write to the bucket when logging is turned on.
            dependsOn: [accessLogs.policy],
          }
        : {}),
      tags: { Name: naming.name('alb') },
    });
    const optOut = (setting: string) =>
      `turned off by the stage settings (loadBalancer.${setting}: false), which the production profile forbids`;
    if (!deletionProtection) skipCheckovOptOut(this.alb, 'CKV_AWS_150', optOut('deletionProtection'));
    if (!accessLogs) skipCheckovOptOut(this.alb, 'CKV_AWS_91', optOut('accessLogs'));

    this.targetGroup = new LbTargetGroup(this, 'kong', {
      name: naming.shortName('kong'),
      targetType: 'ip',
      port: targetPort,
      protocol: 'HTTP',
      protocolVersion: 'HTTP1',
      vpcId: network.vpc.id,
      // In-flight streams finish here before ECS sends Kong SIGTERM.
      deregistrationDelay: String(deregistrationDelay),
      // Long LLM calls make requests uneven: send new ones to the least busy task.
      loadBalancingAlgorithmType: 'least_outstanding_requests',
      healthCheck: {
        enabled: true,
        protocol: 'HTTP',
        port: String(healthCheck.port),
        path: healthCheck.path,
        matcher: '200',
        interval: 10,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      tags: { Name: naming.name('kong') },
    });
    this.requestCountResourceLabel = `${this.alb.arnSuffix}/${this.targetGroup.arnSuffix}`;

    if (props.domain) {
      this.baseUrl = `https://${props.domain.name}`;
      this.createHttpsListeners(props.domain);
    } else {
      this.baseUrl = `http://${this.alb.dnsName}`;
      const http = new LbListener(this, 'http', {
        loadBalancerArn: this.alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
      });
      this.listeners.push(http);
      // Without a domain there is no certificate (none covers *.elb.amazonaws.com).
      const noDomain =
        'no domain in the stage settings, so no certificate: plain HTTP (README warns; production requires one)';
      skipCheckovOptOut(http, 'CKV_AWS_2', noDomain);
      skipCheckovOptOut(http, 'CKV_AWS_103', noDomain);
      skipCheckovOptOut(this.alb, 'CKV2_AWS_20', noDomain);
      skipCheckov(
        this.targetGroup,
        'CKV_AWS_378',
        'TLS ends at the ALB; ALB to Kong stays in the VPC, admitted by security group only',
      );
    }
  }

  private createHttpsListeners(domain: LoadBalancerDomain): void {
    const certificate = new AcmCertificate(this, 'certificate', {
      domainName: domain.name,
      validationMethod: 'DNS',
      lifecycle: { createBeforeDestroy: true },
      tags: { Name: domain.name },
    });
    // One name, so exactly one validation record.
    const option = certificate.domainValidationOptions.get(0);
    const validationRecord = new Route53Record(this, 'certificate-validation-record', {
      zoneId: domain.hostedZoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 60,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, 'certificate-validation', {
      certificateArn: certificate.arn,
      validationRecordFqdns: [validationRecord.fqdn],
    });

    this.listeners.push(
      new LbListener(this, 'https', {
        loadBalancerArn: this.alb.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: TLS_POLICY,
        certificateArn: validation.certificateArn,
        defaultAction: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
      }),
      new LbListener(this, 'http-redirect', {
        loadBalancerArn: this.alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [
          { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
        ],
      }),
    );

    new Route53Record(this, 'alias', {
      zoneId: domain.hostedZoneId,
      name: domain.name,
      type: 'A',
      alias: { name: this.alb.dnsName, zoneId: this.alb.zoneId, evaluateTargetHealth: true },
    });
  }

  private createAccessLogBucket(
    props: LoadBalancerProps,
    forceDestroy: boolean,
  ): { bucket: S3Bucket; policy: S3BucketPolicy } {
    const { naming, environment: env } = props;
    const bucket = new S3Bucket(this, 'access-logs', {
      bucketPrefix: `${naming.shortPrefix}-alb-logs-`,
      forceDestroy,
      tags: { Name: naming.name('alb-logs') },
    });
    skipCheckov(
      bucket,
      'CKV_AWS_145',
      'ALB access logs are delivered only to SSE-S3 buckets; SSE-KMS receives nothing',
    );
    skipCheckov(
      bucket,
      'CKV_AWS_18',
      'this is the access-log bucket: logging its reads would need yet another bucket',
    );
    skipCheckov(bucket, 'CKV2_AWS_62', 'receives only ALB log deliveries; nothing consumes object events');
    skipCheckov(
      bucket,
      'CKV_AWS_144',
      'operational access logs that expire; not a recovery asset worth a second region',
    );
    new S3BucketOwnershipControls(this, 'access-logs-ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketPublicAccessBlock(this, 'access-logs-public-access', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketVersioningA(this, 'access-logs-versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    // ALB access logs support SSE-S3 only; an SSE-KMS bucket silently receives nothing.
    new S3BucketServerSideEncryptionConfigurationA(this, 'access-logs-encryption', {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    const retention = props.accessLogRetentionDays ?? 90;
    new S3BucketLifecycleConfiguration(this, 'access-logs-lifecycle', {
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-access-logs',
          status: 'Enabled',
          filter: [{ prefix: `${ACCESS_LOG_PREFIX}/` }],
          expiration: [{ days: retention }],
          noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
        },
        {
          // The whole bucket, not only the log prefix (Checkov CKV_AWS_300).
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: [{}],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });

    const elbAccount = new DataAwsElbServiceAccount(this, 'elb-account', {});
    const objects = `${bucket.arn}/${ACCESS_LOG_PREFIX}/AWSLogs/${env.accountId}/*`;
    const policy = new DataAwsIamPolicyDocument(this, 'access-logs-policy-document', {
      statement: [
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:*'],
          resources: [bucket.arn, `${bucket.arn}/*`],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
        {
          // Regions that existed before August 2022 deliver as the regional ELB account.
          sid: 'ElbAccountWritesAccessLogs',
          principals: [{ type: 'AWS', identifiers: [elbAccount.arn] }],
          actions: ['s3:PutObject'],
          resources: [objects],
        },
        {
          // Newer regions deliver through the log-delivery service principal.
          sid: 'LogDeliveryWritesAccessLogs',
          principals: [{ type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }],
          actions: ['s3:PutObject'],
          resources: [objects],
        },
      ],
    });
    const bucketPolicy = new S3BucketPolicy(this, 'access-logs-policy', {
      bucket: bucket.id,
      policy: policy.json,
    });
    return { bucket, policy: bucketPolicy };
  }

  /** The dimensions of the ALB's own `AWS/ApplicationELB` metrics (requests, ELB 5xx). */
  get metricDimensions(): { readonly LoadBalancer: string } {
    return { LoadBalancer: this.alb.arnSuffix };
  }

  /** The dimensions of Kong's target group metrics (target 5xx, response time, host counts). */
  get targetGroupMetricDimensions(): { readonly LoadBalancer: string; readonly TargetGroup: string } {
    return { LoadBalancer: this.alb.arnSuffix, TargetGroup: this.targetGroup.arnSuffix };
  }
}
