/**
 * Issue 14 on the synthesized stacks: what Kong's task receives matches what the rendered decK
 * file enforces (body size), and Kong trusts X-Forwarded-For from the ALB's subnets only.
 */
import { parseDeckTemplate } from '../../lib/kong-config/deck-env';
import { nginxSizeBytes } from '../../lib/constructs/kong/kong-containers';
import { synthStage, testStage, type Json } from '../support/synth';

const AWS_STAGES = ['dev', 'prod'];

function kongContainer(synth: ReturnType<typeof synthStage>, name: string): Json {
  return synth
    .resources('aws_ecs_task_definition')
    .flatMap((t) => JSON.parse(t.values.container_definitions) as Json[])
    .find((c: Json) => c.name === name);
}
const envOf = (container: Json): Record<string, string> =>
  Object.fromEntries(
    (container.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]),
  );

describe.each(AWS_STAGES)('stage %s: Kong edge settings in the synthesized task', (stageName) => {
  const stage = testStage(stageName);
  const synth = synthStage(stage);
  const kongEnv = envOf(kongContainer(synth, 'kong'));
  const deck = parseDeckTemplate(
    Buffer.from(envOf(kongContainer(synth, 'config-sync')).KONG_GATEWAY_DECK_CONFIG_B64!, 'base64').toString(
      'utf8',
    ),
  ) as Json;

  describe('a too-large body gets one clean 413', () => {
    const nginxBytes = nginxSizeBytes(kongEnv.KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE!);
    const plugin = deck.services[0].plugins.find((p: Json) => p.name === 'request-size-limiting').config;
    // request-size-limiting (Kong 3.9.3 handler.lua): size_unit "megabytes" = 2^20 bytes; 413 when
    // the length is above allowed_payload_size x unit. nginx: 413 when Content-Length is above
    // client_max_body_size, before any plugin runs (ngx_http_core_module).
    const pluginBytes = plugin.allowed_payload_size * 2 ** 20;
    const nginxAnswer = (length: number): number => (length > nginxBytes ? 413 : 0);
    const pluginAnswer = (length: number): number => (length > pluginBytes ? 413 : 0);

    it('nginx client_max_body_size equals the plugin limit, in bytes', () => {
      expect(plugin.size_unit).toBe('megabytes');
      expect(nginxBytes).toBe(pluginBytes);
      expect(nginxBytes).toBe(stage.settings.kong.maxRequestBodyMiB * 2 ** 20);
    });

    it('exactly N x 2^20 bytes pass both; one byte more gets nginx 413 before any plugin (no 100 Continue)', () => {
      const n = stage.settings.kong.maxRequestBodyMiB * 2 ** 20;
      expect([nginxAnswer(n), pluginAnswer(n)]).toEqual([0, 0]);
      expect(nginxAnswer(n + 1)).toBe(413);
      // No length where nginx lets a declared body in that the plugin then refuses (the 417 path).
      expect(
        [n - 1, n, n + 1, n + 2 ** 20].filter((l) => nginxAnswer(l) === 0 && pluginAnswer(l) !== 0),
      ).toEqual([]);
    });
  });

  it("trusts X-Forwarded-For only from the ALB's subnets, not the whole VPC", () => {
    const lb = synth.resources('aws_lb').find((r) => r.values.load_balancer_type === 'application')!;
    const albCidrs = (lb.values.subnets as string[]).map(
      (ref) => synth.deref(ref)!.values.cidr_block as string,
    );
    expect(kongEnv.KONG_TRUSTED_IPS!.split(',')).toEqual(albCidrs);
    expect(albCidrs.length).toBe(stage.settings.network.azCount);
    expect(kongEnv.KONG_TRUSTED_IPS).not.toContain(stage.settings.network.vpcCidr);
    expect(kongEnv.KONG_TRUSTED_IPS).not.toContain('0.0.0.0/0');
  });

  it('keeps KONG_REAL_IP_RECURSIVE on, so the client address is the first untrusted hop (the key guard counts it)', () => {
    expect(kongEnv).toMatchObject({ KONG_REAL_IP_HEADER: 'X-Forwarded-For', KONG_REAL_IP_RECURSIVE: 'on' });
  });
});
