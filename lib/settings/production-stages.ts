/**
 * Which stages are production, decided here and not in the stage files: a file that could
 * declare itself `"profile": "development"` could also switch off everything production
 * guarantees (remote state, the WAF, deletion protection) and still deploy `kong-gateway-prod`.
 * A stage named here must say `"profile": "production"` or synth fails; adding or removing a name
 * is a reviewed change of this file (.github/CODEOWNERS).
 */

/** Stages that are always production. `prod` is always among them. */
export const PRODUCTION_STAGES: readonly string[] = ['prod'];

/** Whether `stage` is bound to the production profile. */
export function isProductionStage(stage: string): boolean {
  return PRODUCTION_STAGES.includes(stage);
}
