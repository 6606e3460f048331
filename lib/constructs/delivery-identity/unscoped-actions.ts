/**
 * Every action the delivery identities are granted on `"Resource": "*"` without a stage tag
 * condition, and why it cannot be narrowed. A test fails when a policy grants an unlisted action
 * that way, so this list is complete by construction; docs/iam/README.md prints it.
 */
export const UNSCOPED_ACTIONS: Readonly<Record<string, string>> = {
  'sts:GetCallerIdentity':
    'returns the caller itself (data.aws_caller_identity); STS defines no resource for it and it needs no permission at all',
  'ec2:DescribeAvailabilityZones':
    'data.aws_availability_zones; EC2 Describe calls take no resource-level permission',
  'ec2:Describe*':
    'refresh of every EC2/VPC resource; no EC2 Describe action supports resource-level permissions or tag conditions',
  'ecs:Describe*':
    'refresh of the cluster, services and task definitions; DescribeTaskDefinition takes no resource, the others are read-only metadata',
  'ecs:List*': 'listing calls take no resource (ListClusters, ListTaskDefinitions) or only a cluster filter',
  'elasticloadbalancing:Describe*': 'no ELBv2 Describe action supports resource-level permissions',
  'rds:Describe*':
    'refresh of the instance, subnet and parameter groups; DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions take no resource',
  'rds:ListTagsForResource': 'refresh reads tags; read-only, and one account per stage holds nothing else',
  'elasticache:Describe*':
    'refresh of the replication and subnet groups; DescribeCacheEngineVersions and service-update reads take no resource',
  'elasticache:ListTagsForResource': 'refresh reads tags; read-only',
  'logs:Describe*':
    'DescribeLogGroups lists across the account (its resource is `*` by definition); the others are read-only metadata',
  'logs:ListTagsForResource': 'refresh reads tags; read-only',
  'logs:ListTagsLogGroup': 'refresh reads tags (the older API); read-only',
  'kms:ListAliases': 'lists the account’s aliases; KMS defines no resource for it',
  'servicediscovery:Get*': 'refresh of the namespace and service; GetOperation takes no resource',
  'servicediscovery:List*': 'listing calls take no resource',
  'application-autoscaling:Describe*':
    'Application Auto Scaling Describe actions support no resource-level permissions',
  'cloudwatch:Describe*': 'DescribeAlarms lists across the account; read-only',
  'cloudwatch:Get*': 'GetDashboard and metric reads; read-only',
  'cloudwatch:List*': 'ListTagsForResource and ListDashboards; read-only',
  'acm:Describe*': 'refresh of the certificate; read-only (no private key: ACM never exports it)',
  'acm:List*': 'ListCertificates takes no resource',
  'route53:Get*':
    'GetChange and GetHostedZone polled after a record change; GetChange has no taggable resource',
  'route53:List*': 'ListHostedZones and ListResourceRecordSets; read-only',
  'wafv2:Get*': 'refresh of the web ACL and its logging; read-only',
  'wafv2:List*': 'listing calls take no resource (ListWebACLs, ListAvailableManagedRuleGroups)',
  'wafv2:CheckCapacity':
    'computes the capacity of rules before a web ACL exists; WAF defines no resource for it',
  'ecr:GetAuthorizationToken': 'the registry login token; ECR defines no resource for it',
  'ecr:DescribeRepositories':
    'refresh and the deploy workflow’s "does the repository exist" check; read-only',
  'ecr:DescribePullThroughCacheRules': 'refresh of the pull-through rule; read-only',
  'ecr:DescribeRepositoryCreationTemplates': 'refresh of the creation template; read-only',
  'ecr:CreatePullThroughCacheRule':
    'the rule’s resource is the registry itself, shared by all stages of the account; region-bound, its prefix is the stage’s (kgw-<stage>-hub)',
  'ecr:DeletePullThroughCacheRule': 'as CreatePullThroughCacheRule: the registry is the only resource',
  'ecr:UpdatePullThroughCacheRule': 'as CreatePullThroughCacheRule: the registry is the only resource',
  'ecr:CreateRepositoryCreationTemplate': 'the template’s resource is the registry; region-bound',
  'ecr:DeleteRepositoryCreationTemplate': 'the template’s resource is the registry; region-bound',
  'ecr:UpdateRepositoryCreationTemplate': 'the template’s resource is the registry; region-bound',
  'secretsmanager:ListSecrets':
    'Secrets Manager defines no resource for listing; returns names and metadata, never values',
  'sns:ListTopics': 'listing takes no resource',
};
