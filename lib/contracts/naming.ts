/**
 * Resource naming. Names are part of the deployed contract (renaming most resources replaces
 * them), so they come from one place.
 */

/** The stack (and Terraform workspace) of a stage: `kong-gateway-<stage>`. */
export function stackName(stage: string): string {
  return `kong-gateway-${stage}`;
}

/** `kong-gateway/<stage>/consumers/<consumer>`: the contract's name of a consumer's key secret. */
export function consumerSecretName(stage: string, consumer: string): string {
  return `kong-gateway/${stage}/consumers/${consumer}`;
}

/** Naming helpers bound to one stage. */
export class Naming {
  /** Long prefix for resources whose names allow it: `kong-gateway-<stage>`. */
  readonly prefix: string;
  /**
   * Short prefix for resources limited to 32 characters (ALB, target groups): `kgw-<stage>`.
   * Stage names are at most 21 characters, so `kgw-<stage>-<6 chars>` always fits.
   */
  readonly shortPrefix: string;

  constructor(readonly stage: string) {
    this.prefix = stackName(stage);
    this.shortPrefix = `kgw-${stage}`;
  }

  /** `kong-gateway-<stage>-<suffix>`. */
  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  /** `kgw-<stage>-<suffix>`, checked against the 32-character limit. */
  shortName(suffix: string): string {
    const name = `${this.shortPrefix}-${suffix}`;
    if (name.length > 32) throw new Error(`"${name}" is longer than 32 characters; use a shorter suffix`);
    return name;
  }

  /** `kong-gateway/<stage>/<suffix>`, for secrets, ECR repositories and metric namespaces. */
  scoped(suffix: string): string {
    return `kong-gateway/${this.stage}/${suffix}`;
  }

  /** `/kong-gateway/<stage>/<suffix>`, for log groups and SSM parameters. */
  path(suffix: string): string {
    return `/kong-gateway/${this.stage}/${suffix}`;
  }
}
