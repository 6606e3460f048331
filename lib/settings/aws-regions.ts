/**
 * The AWS regions a stage may name, by partition. A name that only looks like a region
 * (`eu-west-9`) passes a pattern, synthesizes, and fails at the first API call of `cdktf deploy`;
 * this list fails it at synth instead.
 *
 * Source: the `regions` of each partition in botocore 1.43.11's `data/endpoints.json` (the region
 * table the AWS SDKs and CLI ship), copied 2026-12-03. When AWS opens a region after that, add it
 * here (a reviewed change: .github/CODEOWNERS).
 */
export const AWS_REGIONS = [
  // aws
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  // aws-cn
  'cn-north-1',
  'cn-northwest-1',
  // aws-us-gov
  'us-gov-east-1',
  'us-gov-west-1',
  // aws-eusc (AWS European Sovereign Cloud)
  'eusc-de-east-1',
  // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
  'us-iso-east-1',
  'us-iso-west-1',
  'us-isob-east-1',
  'us-isob-west-1',
  'eu-isoe-west-1',
  'us-isof-east-1',
  'us-isof-south-1',
] as const;

/** One of {@link AWS_REGIONS}. */
export type AwsRegion = (typeof AWS_REGIONS)[number];
