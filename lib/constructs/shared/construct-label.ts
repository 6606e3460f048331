/**
 * A short, stable label for a construct from its last two path segments (`kong/sg` -> `kong-sg`),
 * for IDs of rules that reference another construct's resource. Construct IDs are Terraform
 * addresses, so the label only changes when the referenced construct moves.
 */
export function ownerLabel(construct: { node: { path: string } }): string {
  return construct.node.path.split('/').slice(-2).join('-');
}
