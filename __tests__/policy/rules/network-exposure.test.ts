/**
 * The network-exposure rules (lib/policy/rules): each passes a compliant stack and reports every
 * violation of a deliberately broken one (a rule that cannot fail proves nothing). One file per rule
 * group, not per rule: each Jest file pays the provider imports again.
 */
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import {
  adminApiIsNeverExposed,
  nothingGetsPublicAddresses,
  onlyLoadBalancerIsWorldReachable,
} from '../../../lib/policy/rules';
import { synthScope } from '../../support/synth';

describe('only-load-balancer-is-world-reachable', () => {
  it('accepts 80 and 443 from the internet on the ALB, and other ports from inside the VPC', () => {
    const fine = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      const albSg = new SecurityGroup(scope, 'alb-sg', { name: 'alb' });
      const taskSg = new SecurityGroup(scope, 'task-sg', { name: 'task' });
      new Lb(scope, 'alb', { securityGroups: [albSg.id], subnets: ['subnet-1', 'subnet-2'] });
      for (const port of [80, 443]) {
        new VpcSecurityGroupIngressRule(scope, `alb-${port}`, {
          securityGroupId: albSg.id,
          cidrIpv4: '0.0.0.0/0',
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
        });
      }
      new VpcSecurityGroupIngressRule(scope, 'task-from-vpc', {
        securityGroupId: taskSg.id,
        cidrIpv4: '10.0.0.0/16',
        ipProtocol: '-1',
      });
    });
    expect(onlyLoadBalancerIsWorldReachable.check(fine)).toEqual([]);
  });

  it('flags SSH open to the world, and 443 open to the world on a group that is not the ALB', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      const albSg = new SecurityGroup(scope, 'alb-sg', { name: 'alb' });
      const taskSg = new SecurityGroup(scope, 'task-sg', { name: 'task' });
      new Lb(scope, 'alb', { securityGroups: [albSg.id], subnets: ['subnet-1', 'subnet-2'] });
      new VpcSecurityGroupIngressRule(scope, 'alb-https', {
        securityGroupId: albSg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
      });
      new VpcSecurityGroupIngressRule(scope, 'alb-ssh', {
        securityGroupId: albSg.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
      });
      new VpcSecurityGroupIngressRule(scope, 'task-https', {
        securityGroupId: taskSg.id,
        cidrIpv6: '::/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
      });
      new SecurityGroup(scope, 'inline-sg', {
        name: 'inline',
        ingress: [{ cidrBlocks: ['0.0.0.0/0'], protocol: '-1', fromPort: 0, toPort: 0 }],
      });
    });
    expect(onlyLoadBalancerIsWorldReachable.check(broken)).toEqual([
      'aws_vpc_security_group_ingress_rule.alb-ssh opens ports 22-22 to the internet',
      'aws_vpc_security_group_ingress_rule.task-https opens ports 443-443 to the internet',
      'aws_security_group.inline-sg.ingress[0] opens ports 0-65535 to the internet',
    ]);
  });
});

describe('nothing-gets-public-addresses', () => {
  it('accepts private subnets and a private database', () => {
    const fine = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new Subnet(scope, 'private', { vpcId: 'vpc-1', cidrBlock: '10.0.0.0/24' });
      new DbInstance(scope, 'db', {
        instanceClass: 'db.t4g.micro',
        engine: 'postgres',
        publiclyAccessible: false,
      });
    });
    expect(nothingGetsPublicAddresses.check(fine)).toEqual([]);
  });

  it('flags public addresses on subnets and databases', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new Subnet(scope, 'leaky', { vpcId: 'vpc-1', cidrBlock: '10.0.0.0/24', mapPublicIpOnLaunch: true });
      new DbInstance(scope, 'db', {
        instanceClass: 'db.t4g.micro',
        engine: 'postgres',
        publiclyAccessible: true,
      });
    });
    expect(nothingGetsPublicAddresses.check(broken)).toEqual([
      'aws_subnet.leaky maps public IPs on launch',
      'aws_db_instance.db is publicly accessible',
    ]);
  });
});

describe('admin-api-is-never-exposed', () => {
  it('accepts the admin API on loopback with only the proxy port mapped', () => {
    const fine = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new LbTargetGroup(scope, 'proxy-tg', { port: 8000, protocol: 'HTTP', targetType: 'ip' });
      new EcsTaskDefinition(scope, 'task', {
        family: 'kong',
        containerDefinitions: JSON.stringify([
          {
            name: 'kong',
            image: 'kong:3.9.3',
            portMappings: [{ containerPort: 8000 }],
            environment: [{ name: 'KONG_ADMIN_LISTEN', value: '127.0.0.1:8001' }],
          },
        ]),
      });
    });
    expect(adminApiIsNeverExposed.check(fine)).toEqual([]);
  });

  it('flags the admin port in security group rules, target groups, listeners, port mappings and a public bind', () => {
    const broken = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      const sg = new SecurityGroup(scope, 'kong-sg', { name: 'kong' });
      new VpcSecurityGroupIngressRule(scope, 'admin-from-vpc', {
        securityGroupId: sg.id,
        cidrIpv4: '10.0.0.0/16',
        ipProtocol: 'tcp',
        fromPort: 8000,
        toPort: 8100,
      });
      new VpcSecurityGroupEgressRule(scope, 'alb-to-admin', {
        securityGroupId: sg.id,
        referencedSecurityGroupId: sg.id,
        ipProtocol: 'tcp',
        fromPort: 8001,
        toPort: 8001,
      });
      const tg = new LbTargetGroup(scope, 'admin-tg', { port: 8001, protocol: 'HTTP', targetType: 'ip' });
      new LbListener(scope, 'admin-listener', {
        loadBalancerArn: 'arn:lb',
        port: 8001,
        defaultAction: [{ type: 'forward', targetGroupArn: tg.arn }],
      });
      new EcsTaskDefinition(scope, 'task', {
        family: 'kong',
        containerDefinitions: JSON.stringify([
          {
            name: 'kong',
            image: 'kong:3.9.3',
            portMappings: [{ containerPort: 8001 }],
            environment: [{ name: 'KONG_ADMIN_LISTEN', value: '0.0.0.0:8001' }],
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } },
          },
        ]),
      });
    });
    expect(adminApiIsNeverExposed.check(broken)).toEqual([
      'aws_vpc_security_group_ingress_rule.admin-from-vpc admits port 8001',
      'aws_vpc_security_group_egress_rule.alb-to-admin opens egress to port 8001',
      'aws_lb_target_group.admin-tg points at port 8001',
      'aws_lb_listener.admin-listener listens on 8001',
      'aws_ecs_task_definition.task container "kong" maps port 8001',
      'aws_ecs_task_definition.task container "kong" binds the admin API to "0.0.0.0:8001" instead of loopback',
    ]);
  });
});
