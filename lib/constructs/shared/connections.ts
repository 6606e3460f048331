/**
 * Security group rules written one way: every rule of the project is made by {@link Connections}
 * (`allowFrom` / `allowTo`), with one construct-ID scheme, `<ingress|egress>-<port>-<peer label>`,
 * so a rule's Terraform address depends only on what it admits, never on the order of a list or
 * on the stack's name. A second rule for the same direction, port and peer throws.
 */
import type { Construct } from 'constructs';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { ownerLabel } from './construct-label';

/** The other side of a rule: a security group, an IPv4 CIDR or a managed prefix list. */
export interface Peer {
  /**
   * The peer's part of the rule's construct ID: stable and unique per peer (a security group's
   * construct label, the CIDR with `.` and `/` as `-`, the prefix list owner's label).
   */
  readonly label: string;
  /** What the peer is, for error messages. */
  readonly display: string;
  /** The rule fields that name the peer (exactly one of them). */
  readonly ruleTarget: {
    readonly referencedSecurityGroupId?: string;
    readonly cidrIpv4?: string;
    readonly prefixListId?: string;
  };
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Builds {@link Peer}s. */
export const Peers = {
  /** Another security group, labelled by its construct path (`kong/sg` -> `kong-sg`). */
  securityGroup(group: SecurityGroup): Peer {
    return {
      label: ownerLabel(group),
      display: `security group ${group.node.path}`,
      ruleTarget: { referencedSecurityGroupId: group.id },
    };
  },
  /** An IPv4 CIDR (a literal: the label is the CIDR itself, so a list's order does not matter). */
  ipv4(cidr: string): Peer {
    const m = IPV4_CIDR.exec(cidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      throw new Error(`Peers.ipv4: "${cidr}" is not an IPv4 CIDR such as "10.0.0.0/8"`);
    }
    return { label: cidr.replace(/[./]/g, '-'), display: cidr, ruleTarget: { cidrIpv4: cidr } };
  },
  /** Anywhere on the IPv4 internet (through NAT from private subnets). */
  anyIpv4(): Peer {
    return Peers.ipv4('0.0.0.0/0');
  },
  /**
   * A managed prefix list, e.g. the S3 gateway endpoint's (`VpcEndpoint.prefixListId`), labelled
   * by the construct that owns it.
   */
  prefixList(owner: Construct, prefixListId: string): Peer {
    return {
      label: ownerLabel(owner),
      display: `prefix list of ${owner.node.path}`,
      ruleTarget: { prefixListId },
    };
  },
} as const;

/** A rule's peer: a {@link Peer}, or a security group for short. */
export type PeerLike = Peer | SecurityGroup;

function toPeer(peer: PeerLike): Peer {
  return 'ruleTarget' in peer ? peer : Peers.securityGroup(peer);
}

/**
 * The rules of one security group, created in the scope of the construct that owns the group.
 * Like aws-cdk's `ec2.Connections`: owners expose it, the stack wires owners to each other.
 */
export class Connections {
  private readonly keys = new Set<string>();

  /**
   * @param scope the construct that owns `securityGroup`: rules become its children
   * @param securityGroup the group the rules belong to
   */
  constructor(
    private readonly scope: Construct,
    readonly securityGroup: SecurityGroup,
  ) {}

  /** Admits `peer` on TCP `port`. Throws when the same peer is already admitted on that port. */
  allowFrom(peer: PeerLike, port: number, description: string): VpcSecurityGroupIngressRule {
    const p = toPeer(peer);
    const id = this.claim('ingress', port, p);
    return new VpcSecurityGroupIngressRule(this.scope, id, this.ruleConfig(p, port, description));
  }

  /** Lets the group connect to `peer` on TCP `port`. Throws when that rule exists already. */
  allowTo(peer: PeerLike, port: number, description: string): VpcSecurityGroupEgressRule {
    const p = toPeer(peer);
    const id = this.claim('egress', port, p);
    return new VpcSecurityGroupEgressRule(this.scope, id, this.ruleConfig(p, port, description));
  }

  /** The fields of a rule in either direction: one TCP port, one peer. */
  private ruleConfig(peer: Peer, port: number, description: string) {
    return {
      securityGroupId: this.securityGroup.id,
      description,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      ...peer.ruleTarget,
    };
  }

  /** The construct ID of the rule, after checking it is the first of its kind. */
  private claim(direction: 'ingress' | 'egress', port: number, peer: Peer): string {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${this.scope.node.path}: port ${port} is not a TCP port (1..65535)`);
    }
    const id = `${direction}-${port}-${peer.label}`;
    if (this.keys.has(id)) {
      throw new Error(
        `${this.scope.node.path}: ${direction} on port ${port} ${direction === 'ingress' ? 'from' : 'to'} ` +
          `${peer.display} is already allowed (rule "${id}"); allow each peer and port once`,
      );
    }
    this.keys.add(id);
    return id;
  }
}

/**
 * Lets `from` open connections to `to` on `port`: the egress rule on `from`'s group and the
 * matching ingress rule on `to`'s.
 */
export function connect(
  from: Connections,
  to: Connections,
  port: number,
  description: { readonly egress: string; readonly ingress: string },
): { egress: VpcSecurityGroupEgressRule; ingress: VpcSecurityGroupIngressRule } {
  return {
    egress: from.allowTo(to.securityGroup, port, description.egress),
    ingress: to.allowFrom(from.securityGroup, port, description.ingress),
  };
}
