/**
 * The smoke checks, black-box against any base URL: local compose, the ALB or the stage's domain.
 * Each check reports PASS/FAIL with what it saw. The run is bounded: a per-request timeout, a
 * wall-time deadline for the whole run, a cap on the requests the rate-limit check sends, and at
 * most one retry (after `Retry-After`) when an earlier run used up the smoke consumer's window.
 *
 * Request budget against the smoke consumer's limit (5/minute in the stage files): the 401, 400,
 * key-guard and 413 checks do not count (they carry no valid key: the guard counts them per IP,
 * not against the consumer), the echo, 404 and streaming checks use at most three, and the
 * rate-limit check goes last. The key-guard check leaves this address throttled for keyless
 * requests until the minute ends; a second run within it waits for the next window once.
 */
import * as crypto from 'crypto';
import { header, send, sendDeclaredBody, SmokeRequestError, type SmokeResponse } from './http';
import type { SmokeOptions } from './args';

/** The checks, in the order they run. Stable identifiers: CI logs and tests refer to them. */
export const CHECKS = {
  'no-key-401': '401 without a key',
  'wrong-key-401': '401 with a wrong key',
  'key-in-query-400': 'JSON 400 for a key in the query string',
  'key-guard-429': '429 after repeated failed authentications (key guard), no RateLimit headers',
  'key-200': '200 with the consumer key',
  'credential-hidden': 'the credential does not reach the upstream',
  'consumer-header': 'the upstream receives X-Consumer-Username',
  'not-found-json': 'JSON 404 for an unknown path',
  'body-413': 'JSON 413 for a declared body above the limit (Expect: 100-continue, body never sent)',
  streaming: 'a streaming completion arrives in several chunks',
  'rate-limit-429': '429 after the limit, with Retry-After and RateLimit headers',
  'no-kong-headers': 'no Server/Via (or X-Kong latency) header naming Kong',
} as const;

/** Identifier of a check. */
export type CheckId = keyof typeof CHECKS;

/** The outcome of one check. */
export interface CheckResult {
  readonly id: CheckId;
  readonly title: string;
  readonly passed: boolean;
  /** What was seen (never the key). */
  readonly detail: string;
}

/** What {@link runSmoke} needs beside the options: the resolved keys. */
export interface SmokeRun extends SmokeOptions {
  /** The consumer's valid key. */
  readonly key: string;
  /** A key that must be refused. */
  readonly wrongKey: string;
}

class DeadlineError extends Error {}

/** Header the placeholder honours to space its SSE chunks, so a buffering proxy shows. */
export const CHUNK_DELAY_HEADER = 'X-Placeholder-Chunk-Delay-Ms';

/** Runs every check in order; `onResult` sees each result as soon as it is known. */
export async function runSmoke(
  run: SmokeRun,
  onResult: (r: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const deadline = Date.now() + run.deadlineMs;
  const seen: SmokeResponse[] = [];
  const results: CheckResult[] = [];
  const report = (id: CheckId, passed: boolean, detail: string): void => {
    const result = { id, title: CHECKS[id], passed, detail: redact(detail, run) };
    results.push(result);
    onResult(result);
  };

  const url = (p: string): URL => {
    const base = run.baseUrl.href.replace(/\/+$/, '');
    return new URL(base + p);
  };
  const auth = (key: string | undefined): Record<string, string> => {
    if (key === undefined) return {};
    return run.bearer ? { Authorization: `Bearer ${key}` } : { [run.keyHeader]: key };
  };
  const call = async (
    method: 'GET' | 'POST',
    p: string,
    key: string | undefined,
    extra: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<SmokeResponse> => {
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      throw new DeadlineError(`the ${run.deadlineMs / 1000} s deadline passed before ${method} ${p}`);
    const res = await send({
      method,
      url: url(p),
      headers: { Accept: 'application/json, text/event-stream', ...auth(key), ...extra.headers },
      ...(extra.body !== undefined ? { body: extra.body } : {}),
      timeoutMs: Math.min(run.requestTimeoutMs, remaining),
    });
    seen.push(res);
    return res;
  };
  /** A request with the valid key; one retry after Retry-After if an earlier run used up the window. */
  const callWithKey = async (
    method: 'GET' | 'POST',
    p: string,
    extra: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<SmokeResponse> => {
    const res = await call(method, p, run.key, extra);
    if (res.status !== 429) return res;
    const waitMs = retryAfterMs(res);
    if (waitMs === undefined || waitMs > run.maxRetryAfterMs || Date.now() + waitMs >= deadline) return res;
    await new Promise((r) => setTimeout(r, waitMs));
    return call(method, p, run.key, extra);
  };
  const guarded = async (ids: CheckId[], body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      if (!(err instanceof SmokeRequestError || err instanceof DeadlineError)) throw err;
      for (const id of ids) if (!results.some((r) => r.id === id)) report(id, false, err.message);
    }
  };

  /**
   * A request without a valid key; if the key guard already throttles this address (an earlier
   * run in the same minute), one retry in the next window (its 429 has no Retry-After: Kong
   * computes it only with the RateLimit headers, which the guard hides; windows are fixed minutes).
   */
  const callRefused = async (p: string, key: string | undefined): Promise<SmokeResponse> => {
    const res = await call('GET', p, key);
    if (res.status !== 429) return res;
    const waitMs = retryAfterMs(res) ?? 61_000 - (Date.now() % 60_000);
    if (waitMs > run.maxRetryAfterMs || Date.now() + waitMs >= deadline) return res;
    await new Promise((r) => setTimeout(r, waitMs));
    return call('GET', p, key);
  };

  const echo = run.prefix + run.echoPath;

  await guarded(['no-key-401'], async () => {
    const res = await callRefused(echo, undefined);
    report('no-key-401', res.status === 401, `GET ${echo} without a key -> ${describe(res)}`);
  });

  await guarded(['wrong-key-401'], async () => {
    const res = await callRefused(echo, run.wrongKey);
    report('wrong-key-401', res.status === 401, `GET ${echo} with a wrong key -> ${describe(res)}`);
  });

  await guarded(['key-in-query-400'], async () => {
    // The wrong key, never the real one: a URL lands in the ALB's access log.
    const p = `${echo}?apikey=${encodeURIComponent(run.wrongKey)}`;
    const res = await call('GET', p, undefined);
    let message = '';
    try {
      message = String((JSON.parse(res.body) as { message?: unknown }).message ?? '');
    } catch {
      // not JSON: reported below
    }
    report(
      'key-in-query-400',
      res.status === 400 && /header/i.test(message),
      `GET ${echo}?apikey=<wrong-key> -> ${describe(res)}` +
        (res.status === 400 && !/header/i.test(message) ? ': not a JSON message about headers' : ''),
    );
  });

  await guarded(['key-guard-429'], async () => {
    const statuses: number[] = [];
    const shown: string[] = [];
    let limited: SmokeResponse | undefined;
    for (let i = 0; i < run.maxGuardRequests; i++) {
      const res = await call('GET', echo, run.wrongKey);
      statuses.push(res.status);
      for (const name of Object.keys(res.headers)) {
        if (/^(x-)?ratelimit-/.test(name)) shown.push(`${res.status} carries ${name}`);
      }
      if (res.status === 429) {
        limited = res;
        break;
      }
      if (res.status !== 401) {
        report(
          'key-guard-429',
          false,
          `failed authentication ${i + 1} got ${describe(res)}; only 401 or 429 are expected`,
        );
        return;
      }
    }
    if (!limited) {
      report(
        'key-guard-429',
        false,
        `no 429 after ${statuses.length} requests with a wrong key (cap --max-guard-requests ${run.maxGuardRequests}): failed authentications are not throttled per client`,
      );
      return;
    }
    const problems = [...new Set(shown)];
    report(
      'key-guard-429',
      problems.length === 0,
      `429 after ${statuses.length - 1} more failed authentication(s) from this address: ${excerpt(limited.body)}` +
        (problems.length ? `; the guard's limiter shows its headers: ${problems.join(', ')}` : ''),
    );
  });

  // A second, wrong key in a header key-auth reads after the one used: it must not reach the
  // upstream either (hide_credentials only strips the header key-auth matched).
  const decoyHeader = run.bearer || run.keyHeader.toLowerCase() === 'apikey' ? 'x-api-key' : undefined;
  await guarded(['key-200', 'credential-hidden', 'consumer-header'], async () => {
    const res = await callWithKey(
      'GET',
      echo,
      decoyHeader ? { headers: { [decoyHeader]: run.wrongKey } } : {},
    );
    const echoed = res.status === 200 ? parseEcho(res.body) : undefined;
    report(
      'key-200',
      res.status === 200,
      `GET ${echo} with the ${run.consumer} key -> ${describe(res)}` +
        (res.status === 200 && !echoed ? ' (not the echo JSON: check --prefix/--echo-path)' : ''),
    );
    if (!echoed) {
      const why = 'no echo of the upstream request to inspect (see key-200)';
      report('credential-hidden', false, why);
      report('consumer-header', false, why);
      return;
    }
    const leaks = credentialLeaks(echoed, run, decoyHeader);
    report(
      'credential-hidden',
      leaks.length === 0,
      leaks.length === 0
        ? `no ${run.bearer ? 'Authorization' : run.keyHeader}${decoyHeader ? ` or ${decoyHeader} (a second key sent beside it)` : ''} header and no key value among ${Object.keys(echoed.headers).length} upstream headers`
        : `the upstream received the credential: ${leaks.join('; ')}`,
    );
    const username = echoed.headers['x-consumer-username'];
    report(
      'consumer-header',
      username === run.consumer,
      username === undefined
        ? 'the upstream received no X-Consumer-Username header'
        : `the upstream received X-Consumer-Username: ${String(username)} (expected ${run.consumer})`,
    );
  });

  await guarded(['not-found-json'], async () => {
    const p = `/smoke-unknown-${crypto.randomBytes(6).toString('hex')}`;
    const res = await callWithKey('GET', p);
    const problems: string[] = [];
    if (res.status !== 404) problems.push(`status ${res.status}, expected 404`);
    const type = header(res, 'content-type') ?? '';
    if (!/\bjson\b/i.test(type)) problems.push(`Content-Type "${type}" is not JSON`);
    try {
      JSON.parse(res.body);
    } catch {
      problems.push(`body is not JSON: ${excerpt(res.body)}`);
    }
    if (/kong/i.test(res.body)) problems.push(`body names Kong: ${excerpt(res.body)}`);
    if (/no Route matched/i.test(res.body))
      problems.push("Kong's default answer: the catch-all route is missing");
    report(
      'not-found-json',
      problems.length === 0,
      `GET ${p} -> ${describe(res)}${problems.length ? `: ${problems.join('; ')}` : ''}`,
    );
  });

  await guarded(['body-413'], async () => {
    const p = run.prefix + run.completionsPath;
    const length = run.maxBodyMiB * 2 ** 20 + 1;
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      throw new DeadlineError(`the ${run.deadlineMs / 1000} s deadline passed before POST ${p}`);
    const { continued, response } = await sendDeclaredBody(
      url(p),
      length,
      { Accept: 'application/json' },
      Math.min(run.requestTimeoutMs, remaining),
    );
    seen.push(response);
    const what = `POST ${p} declaring ${length} bytes (--max-body-mib ${run.maxBodyMiB} + 1) with Expect: 100-continue, body never sent`;
    let json = false;
    try {
      JSON.parse(response.body);
      json = true;
    } catch {
      // reported below
    }
    report(
      'body-413',
      response.status === 413 && json,
      `${what} -> ${continued ? '100 Continue, then ' : ''}${describe(response)}` +
        (response.status === 413 && !json ? ': not JSON' : '') +
        (continued
          ? ' (100 Continue before the answer: from a proxy in front of Kong, or nginx above the plugin)'
          : ''),
    );
  });

  await guarded(['streaming'], async () => {
    const p = run.prefix + run.completionsPath;
    const body = JSON.stringify({
      model: run.model,
      stream: true,
      messages: [{ role: 'user', content: 'smoke test: stream a few chunks' }],
    });
    const res = await callWithKey('POST', p, { body, headers: { [CHUNK_DELAY_HEADER]: '50' } });
    report('streaming', ...judgeStream(res, p));
  });

  await guarded(['rate-limit-429'], async () => {
    const statuses: number[] = [];
    let limited: SmokeResponse | undefined;
    let limit: string | undefined;
    for (let i = 0; i < run.maxRateLimitRequests; i++) {
      const res = await call('GET', echo, run.key);
      statuses.push(res.status);
      limit ??= header(res, 'ratelimit-limit');
      if (res.status === 429) {
        limited = res;
        break;
      }
      if (res.status !== 200) {
        report(
          'rate-limit-429',
          false,
          `request ${i + 1} got ${describe(res)}; only 200 or 429 are expected`,
        );
        return;
      }
    }
    if (!limited) {
      report(
        'rate-limit-429',
        false,
        `no 429 after ${statuses.length} requests with the ${run.consumer} key (limit ${limit ?? 'unknown'}; cap --max-rate-requests ${run.maxRateLimitRequests})`,
      );
      return;
    }
    const problems: string[] = [];
    const retryAfter = header(limited, 'retry-after');
    if (retryAfter === undefined || !/^\d+$/.test(retryAfter)) {
      problems.push(
        `Retry-After is ${retryAfter === undefined ? 'missing' : `"${retryAfter}", not seconds`}`,
      );
    }
    for (const h of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
      if (header(limited, h) === undefined) problems.push(`${h} header missing`);
    }
    const remaining = header(limited, 'ratelimit-remaining');
    if (remaining !== undefined && remaining !== '0')
      problems.push(`RateLimit-Remaining is ${remaining}, expected 0`);
    const admitted = statuses.length - 1;
    const limitNumber = Number(header(limited, 'ratelimit-limit') ?? limit);
    const overshoot =
      Number.isInteger(limitNumber) && admitted > limitNumber
        ? ` (${admitted - limitNumber} past the window's limit of ${limitNumber} in this loop alone: "local" counting per node or a sync_rate lets a few through)`
        : '';
    report(
      'rate-limit-429',
      problems.length === 0,
      `429 after ${admitted} admitted request(s)${overshoot}; Retry-After ${retryAfter ?? '-'}, RateLimit-Limit ${header(limited, 'ratelimit-limit') ?? '-'}, RateLimit-Remaining ${remaining ?? '-'}, RateLimit-Reset ${header(limited, 'ratelimit-reset') ?? '-'}` +
        (problems.length ? `: ${problems.join('; ')}` : ''),
    );
  });

  const leaks = kongHeaders(seen);
  report(
    'no-kong-headers',
    seen.length > 0 && leaks.length === 0,
    seen.length === 0
      ? 'no response to inspect'
      : leaks.length === 0
        ? `none in ${seen.length} responses`
        : `${leaks.slice(0, 3).join('; ')}${leaks.length > 3 ? ` (+${leaks.length - 3} more)` : ''}`,
  );
  return results;
}

/** `Retry-After` in milliseconds (seconds form only; an HTTP date is not expected from Kong). */
function retryAfterMs(res: SmokeResponse): number | undefined {
  const value = header(res, 'retry-after');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) * 1000 + 250 : undefined;
}

interface Echo {
  headers: Record<string, string | string[]>;
  query: Record<string, string | string[]>;
  body: string | null;
}

/** The placeholder's echo answer (`{ headers, query, ... }`), or undefined if it is not one. */
export function parseEcho(body: string): Echo | undefined {
  try {
    const value = JSON.parse(body) as Partial<Echo>;
    if (value && typeof value.headers === 'object' && value.headers !== null) {
      return { headers: value.headers, query: value.query ?? {}, body: value.body ?? null };
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** Every place the credential (or the decoy key sent beside it) shows up in what the upstream received. */
function credentialLeaks(echo: Echo, run: SmokeRun, decoyHeader?: string): string[] {
  const leaks: string[] = [];
  const keyHeader = run.keyHeader.toLowerCase();
  for (const [name, value] of Object.entries(echo.headers)) {
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    if (text.includes(run.key)) leaks.push(`header ${name} carries the key`);
    else if (text.includes(run.wrongKey)) leaks.push(`header ${name} carries the second key`);
    else if ((name === keyHeader && !run.bearer) || name === decoyHeader || name === 'authorization')
      leaks.push(`header ${name} is present`);
  }
  for (const [name, value] of Object.entries(echo.query)) {
    if ((Array.isArray(value) ? value.join(',') : String(value)).includes(run.key)) {
      leaks.push(`query parameter ${name} carries the key`);
    }
  }
  if (echo.body?.includes(run.key)) leaks.push('the body carries the key');
  return leaks;
}

/** Judges an SSE response: 200, event-stream, at least two reads carrying events, ends with [DONE]. */
function judgeStream(res: SmokeResponse, p: string): [boolean, string] {
  const type = header(res, 'content-type') ?? '';
  const events = res.body.split(/\r?\n\r?\n/).filter((e) => /^data:/m.test(e));
  const readsWithData = res.reads.filter((r) => r.text.includes('data:')).length;
  const span = res.reads.length > 1 ? res.reads[res.reads.length - 1]!.atMs - res.reads[0]!.atMs : 0;
  const problems: string[] = [];
  if (res.status !== 200) problems.push(`status ${res.status}, expected 200`);
  if (!/^text\/event-stream\b/i.test(type))
    problems.push(`Content-Type "${type}", expected text/event-stream`);
  if (events.length < 2) problems.push(`${events.length} SSE event(s), expected several`);
  if (!/data:\s*\[DONE\]/.test(res.body)) problems.push('no final "data: [DONE]"');
  if (readsWithData < 2) {
    problems.push(
      `arrived in ${readsWithData} chunk(s): buffered somewhere (response_buffering on the route?)`,
    );
  }
  const summary = `POST ${p} (stream) -> ${res.status}, ${events.length} events in ${readsWithData} chunks over ${span} ms`;
  return [problems.length === 0, problems.length ? `${summary}: ${problems.join('; ')}` : summary];
}

/** Response headers that name Kong: Server, Via, and X-Kong-* other than the request id. */
function kongHeaders(responses: readonly SmokeResponse[]): string[] {
  const found: string[] = [];
  for (const res of responses) {
    for (const name of ['server', 'via']) {
      const value = header(res, name);
      if (value !== undefined && /kong/i.test(value)) found.push(`${res.request} -> ${name}: ${value}`);
    }
    for (const name of Object.keys(res.headers)) {
      if (name.startsWith('x-kong-') && name !== 'x-kong-request-id') {
        found.push(`${res.request} -> ${name}: ${header(res, name)}`);
      }
    }
  }
  return found;
}

function describe(res: SmokeResponse): string {
  return `${res.status}${res.status >= 300 ? ` ${excerpt(res.body)}` : ''}`;
}

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine === ''
    ? '(empty body)'
    : JSON.stringify(oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine);
}

/** Never print a key, whatever echoed it. */
function redact(text: string, run: SmokeRun): string {
  return text.split(run.key).join('<key>').split(run.wrongKey).join('<wrong-key>');
}
