/**
 * The slice of the OpenAI wire format the placeholder speaks: request validation, deterministic
 * completions (whole or as server-sent-event chunks) and the error object.
 * Reference: https://platform.openai.com/docs/api-reference/chat
 */

/** Body of every error response: `{ "error": { message, type, param, code } }`. */
export interface OpenAiError {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** Builds the OpenAI-style error object. */
export function errorBody(
  message: string,
  type = 'invalid_request_error',
  param: string | null = null,
  code: string | null = null,
): OpenAiError {
  return { error: { message, type, param, code } };
}

/** A request that failed validation, with the status and error to send. */
export class RequestError extends Error {
  constructor(
    public readonly status: number,
    public readonly body: OpenAiError,
  ) {
    super(body.error.message);
    this.name = 'RequestError';
  }
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/** One message of the conversation, as far as the placeholder reads it. */
export interface ChatMessage {
  readonly role: string;
  readonly content: unknown;
}

/** A validated chat-completion request. */
export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
  /** Whether the stream ends with a usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
  /** Cap on completion tokens (`max_completion_tokens` or `max_tokens`), if any. */
  readonly maxTokens: number | undefined;
}

const bad = (message: string, param: string | null, code: string | null = null): RequestError =>
  new RequestError(400, errorBody(message, 'invalid_request_error', param, code));

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and validates a chat-completion body; throws {@link RequestError} (400) otherwise. */
export function parseChatRequest(raw: Buffer): ChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw bad(
      `We could not parse the JSON body of your request. (${(e as Error).message})`,
      null,
      'invalid_json',
    );
  }
  if (!isObject(body)) {
    throw bad('The request body must be a JSON object.', null, 'invalid_json');
  }
  if (body.messages === undefined) {
    throw bad("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw bad("Invalid 'messages': expected a non-empty array of messages.", 'messages', 'invalid_type');
  }
  const messages = body.messages.map((m: unknown, i: number): ChatMessage => {
    if (!isObject(m) || typeof m.role !== 'string' || !ROLES.has(m.role)) {
      throw bad(
        `Invalid 'messages[${i}]': expected an object with a role of ${[...ROLES].join(', ')}.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    return { role: m.role, content: m.content };
  });
  if (body.model === undefined) {
    throw bad("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  }
  if (typeof body.model !== 'string' || body.model.length === 0 || body.model.length > 256) {
    throw bad("Invalid 'model': expected a non-empty string.", 'model', 'invalid_type');
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw bad("Invalid 'stream': expected a boolean.", 'stream', 'invalid_type');
  }
  const maxTokensRaw = body.max_completion_tokens ?? body.max_tokens;
  if (
    maxTokensRaw !== undefined &&
    maxTokensRaw !== null &&
    !(typeof maxTokensRaw === 'number' && Number.isInteger(maxTokensRaw) && maxTokensRaw >= 1)
  ) {
    const param = body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    throw bad(`Invalid '${param}': expected an integer >= 1.`, param, 'invalid_value');
  }
  const streamOptions = body.stream_options;
  return {
    model: body.model,
    messages,
    stream: body.stream === true,
    includeUsage: isObject(streamOptions) && streamOptions.include_usage === true,
    maxTokens: typeof maxTokensRaw === 'number' ? maxTokensRaw : undefined,
  };
}

/** Text of a message's content (a string, or the text parts of a content array). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
      .filter((t) => t.length > 0)
      .join(' ');
  }
  return '';
}

/** Whitespace-separated words: the placeholder's stand-in for tokens. */
function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

/** What a completion says, split into the pieces a stream sends one by one. */
export interface Completion {
  /** The content pieces; joined they give the whole content. */
  readonly pieces: readonly string[];
  readonly finishReason: 'stop' | 'length';
  readonly usage: {
    readonly prompt_tokens: number;
    readonly completion_tokens: number;
    readonly total_tokens: number;
  };
}

/** Longest echo of the last user message, in words. */
const ECHO_WORDS = 32;

/**
 * The deterministic answer to `request`: the same messages always give the same content.
 * Content: `Placeholder reply to: <first 32 words of the last user message>`, one word per piece.
 */
export function complete(request: ChatRequest): Completion {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const echoed = words(lastUser === undefined ? '' : textOf(lastUser.content)).slice(0, ECHO_WORDS);
  const all = ['Placeholder', 'reply', 'to:', ...(echoed.length > 0 ? echoed : ['(no user message)'])];
  const cut = request.maxTokens !== undefined && request.maxTokens < all.length;
  const kept = cut ? all.slice(0, request.maxTokens) : all;
  const promptTokens = request.messages.reduce((n, m) => n + words(textOf(m.content)).length, 0);
  return {
    pieces: kept.map((w, i) => (i === 0 ? w : ` ${w}`)),
    finishReason: cut ? 'length' : 'stop',
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: kept.length,
      total_tokens: promptTokens + kept.length,
    },
  };
}

/** The `chat.completion` object of a non-streaming response. */
export function completionObject(id: string, created: number, model: string, completion: Completion): object {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: completion.pieces.join(''), refusal: null },
        logprobs: null,
        finish_reason: completion.finishReason,
      },
    ],
    usage: completion.usage,
  };
}

/**
 * The `chat.completion.chunk` objects of a streaming response, in order: one per piece (the first
 * also carries the role), then the finish chunk, then the usage chunk if asked for.
 */
export function completionChunks(
  id: string,
  created: number,
  model: string,
  completion: Completion,
  includeUsage: boolean,
): object[] {
  const chunk = (choices: object[], extra: object = {}): object => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
    ...extra,
  });
  const chunks = completion.pieces.map((piece, i) =>
    chunk([
      {
        index: 0,
        delta: i === 0 ? { role: 'assistant', content: piece } : { content: piece },
        logprobs: null,
        finish_reason: null,
      },
    ]),
  );
  chunks.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: completion.finishReason }]));
  if (includeUsage) chunks.push(chunk([], { usage: completion.usage }));
  return chunks;
}
