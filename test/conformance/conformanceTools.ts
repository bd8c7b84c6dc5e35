// The tools of the conformance scenarios (@modelcontextprotocol/conformance 0.1.16, server
// mode), with the names, arguments and answers each scenario's description asks for, and their
// JSON Schemas exactly as written.
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  type CallToolResult,
  type CreateMessageRequestParams,
  type CreateMessageResult,
  type ElicitRequestFormParams,
  type ElicitResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * What a scenario tool needs from the server it runs in: an SDK server's request extra, or a
 * loopback tool's context, seen the same way.
 */
export interface ScenarioAgent {
  readonly log: (data: string) => Promise<unknown>;
  /** Reports progress when the client asked for it; does nothing otherwise. */
  readonly progress: (progress: number, total: number, message: string) => Promise<unknown>;
  readonly sample: (params: CreateMessageRequestParams) => Promise<CreateMessageResult>;
  readonly elicit: (params: ElicitRequestFormParams) => Promise<ElicitResult>;
  /** Close the call's SSE stream before answering, where the server offers it. */
  readonly closeStream?: () => void;
}

/** The scenario agent of an SDK server's request. */
export function sdkAgent(extra: Extra): ScenarioAgent {
  const progressToken = extra._meta?.progressToken;
  return {
    log: (data) =>
      extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', logger: 'conformance-upstream', data },
      }),
    progress: async (progress, total, message) => {
      if (progressToken === undefined) return;
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress, total, message },
      });
    },
    sample: (params) =>
      extra.sendRequest({ method: 'sampling/createMessage', params }, CreateMessageResultSchema),
    elicit: (params) =>
      extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema),
    closeStream: extra.closeSSEStream,
  };
}

/** A 1x1 red PNG. */
export const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A WAV file with one silent sample. */
const WAV_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
const noArguments: Tool['inputSchema'] = { type: 'object', properties: {} };

/**
 * The scenarios `tools-call-with-logging` and `tools-call-with-progress` ask for about 50 ms
 * between notifications, so that they reach the client as separate messages while the call is
 * still running: what a forwarder in the middle must stream, not batch.
 */
const pause = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Ask the client for input on the call's own stream; the tool answers what the client said. */
async function elicit(
  agent: ScenarioAgent,
  message: string,
  requestedSchema: ElicitRequestFormParams['requestedSchema'],
): Promise<CallToolResult> {
  try {
    const result = await agent.elicit({ mode: 'form', message, requestedSchema });
    return text(
      `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
    );
  } catch (error) {
    return { ...text(`elicitation failed: ${(error as Error).message}`), isError: true };
  }
}

/** A scenario's tool: its definition as listed, and what it does. */
export interface ConformanceTool<X = ScenarioAgent> extends Tool {
  readonly run: (
    args: Record<string, unknown>,
    extra: X,
  ) => CallToolResult | Promise<CallToolResult>;
}

/**
 * The tools that need nothing but their arguments (no notification, no request to the client,
 * no stream of their own): what a server whose tools see only their arguments can offer too.
 */
export const PLAIN_TOOLS: readonly ConformanceTool<unknown>[] = [
  {
    name: 'test_simple_text',
    description: 'Answers with one text block.',
    inputSchema: noArguments,
    run: () => text('This is a simple text response for testing.'),
  },
  {
    name: 'test_image_content',
    description: 'Answers with a PNG image.',
    inputSchema: noArguments,
    run: () => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] }),
  },
  {
    name: 'test_audio_content',
    description: 'Answers with a WAV clip.',
    inputSchema: noArguments,
    run: () => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }),
  },
  {
    name: 'test_embedded_resource',
    description: 'Answers with an embedded text resource.',
    inputSchema: noArguments,
    run: () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  },
  {
    name: 'test_multiple_content_types',
    description: 'Answers with text, an image and an embedded resource.',
    inputSchema: noArguments,
    run: () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  },
  {
    name: 'test_error_handling',
    description: 'Always fails, as a tool result with isError.',
    inputSchema: noArguments,
    run: () => ({
      ...text('This tool intentionally returns an error for testing'),
      isError: true,
    }),
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Takes arguments described with JSON Schema 2020-12 keywords (SEP-1613).',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: {
          type: 'object',
          properties: { street: { type: 'string' }, city: { type: 'string' } },
        },
      },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
    run: (args) => text(`called with ${JSON.stringify(args)}`),
  },
];

/** The tools that talk to the client while they run, or need a stream of their own. */
export const SESSION_TOOLS: readonly ConformanceTool[] = [
  {
    name: 'test_tool_with_logging',
    description: 'Sends three info log messages while it runs.',
    inputSchema: noArguments,
    run: async (_args, agent) => {
      const steps = ['Tool execution started', 'Tool processing data', 'Tool execution completed'];
      for (const [index, data] of steps.entries()) {
        if (index > 0) await pause();
        await agent.log(data);
      }
      return text('Tool with logging executed successfully');
    },
  },
  {
    name: 'test_tool_with_progress',
    description: 'Reports progress 0, 50 and 100 of 100 when asked for progress.',
    inputSchema: noArguments,
    run: async (_args, agent) => {
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await pause();
        await agent.progress(progress, 100, `${progress} of 100`);
      }
      return text('progress reported');
    },
  },
  {
    name: 'test_sampling',
    description: 'Asks the client to sample an LLM with the prompt.',
    inputSchema: {
      type: 'object',
      properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
      required: ['prompt'],
    },
    run: async (args, agent) => {
      try {
        const result = await agent.sample({
          messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt) } }],
          maxTokens: 100,
        });
        const answer = result.content.type === 'text' ? result.content.text : result.content.type;
        return text(`LLM response: ${answer}`);
      } catch (error) {
        return { ...text(`sampling failed: ${(error as Error).message}`), isError: true };
      }
    },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user for a username and an email address.',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'The message to show the user' } },
      required: ['message'],
    },
    run: async (args, agent) =>
      elicit(agent, String(args.message), {
        type: 'object',
        properties: {
          username: { type: 'string', description: "User's response" },
          email: { type: 'string', description: "User's email address" },
        },
        required: ['username', 'email'],
      }),
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Elicits one field of each primitive type, each with a default (SEP-1034).',
    inputSchema: noArguments,
    run: async (_args, agent) =>
      elicit(agent, 'Please review and update the form fields with defaults', {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'User name', default: 'John Doe' },
          age: { type: 'integer', description: 'User age', default: 30 },
          score: { type: 'number', description: 'User score', default: 95.5 },
          status: {
            type: 'string',
            description: 'User status',
            enum: ['active', 'inactive', 'pending'],
            default: 'active',
          },
          verified: { type: 'boolean', description: 'Verification status', default: true },
        },
      }),
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Elicits the five enum shapes of SEP-1330.',
    inputSchema: noArguments,
    run: async (_args, agent) =>
      elicit(agent, 'Please select options from the enum fields', {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
          titledSingle: {
            type: 'string',
            oneOf: [
              { const: 'value1', title: 'First Option' },
              { const: 'value2', title: 'Second Option' },
              { const: 'value3', title: 'Third Option' },
            ],
          },
          legacyEnum: {
            type: 'string',
            enum: ['opt1', 'opt2', 'opt3'],
            enumNames: ['Option One', 'Option Two', 'Option Three'],
          },
          untitledMulti: {
            type: 'array',
            items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
          },
          titledMulti: {
            type: 'array',
            items: {
              anyOf: [
                { const: 'value1', title: 'First Choice' },
                { const: 'value2', title: 'Second Choice' },
                { const: 'value3', title: 'Third Choice' },
              ],
            },
          },
        },
      }),
  },
  {
    name: 'test_reconnection',
    description:
      'Closes its SSE stream before it answers (SEP-1699): the client gets the answer by resuming.',
    inputSchema: noArguments,
    run: (_args, agent) => {
      // Offered by the SDK only on Streamable HTTP with an event store, to a client that can
      // resume; elsewhere the answer comes on the call's own stream.
      agent.closeStream?.();
      return text('Reconnection test completed successfully.');
    },
  },
];

/** Every tool of the scenarios. */
export const CONFORMANCE_TOOLS: readonly ConformanceTool[] = [...PLAIN_TOOLS, ...SESSION_TOOLS];
