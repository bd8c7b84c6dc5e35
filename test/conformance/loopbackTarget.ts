// The conformance scenarios' tools, prompts and resources as a host registers them on the
// loopback server: the same tools as the upstream's (they see the loopback's ToolCallContext
// through the scenario agent), and prompts and resources with the names, contents and
// completions the scenarios ask for.
import type {
  LoopbackPrompt,
  LoopbackResource,
  LoopbackResourceTemplate,
  LoopbackServerOptions,
  LoopbackTool,
  ToolCallContext,
} from '../../src/mcp/index.js';
import { PLAIN_TOOLS, PNG_BASE64, SESSION_TOOLS, type ScenarioAgent } from './conformanceTools.js';

/** The scenario agent of a loopback tool call. */
function loopbackAgent(context: ToolCallContext): ScenarioAgent {
  return {
    log: (data) => context.log('info', data, 'conformance-upstream'),
    progress: (progress, total, message) => context.progress(progress, total, message),
    sample: (params) => context.sample(params),
    elicit: (params) => context.elicit(params),
  };
}

const tools: LoopbackTool[] = [
  ...PLAIN_TOOLS.map(({ run, ...tool }) => ({
    ...tool,
    run: (args: Record<string, unknown>) => run(args, undefined),
  })),
  ...SESSION_TOOLS.map(({ run, ...tool }) => ({
    ...tool,
    run: (args: Record<string, unknown>, context: ToolCallContext) =>
      run(args, loopbackAgent(context)),
  })),
];

const user = (text: string) => ({
  role: 'user' as const,
  content: { type: 'text' as const, text },
});

const prompts: LoopbackPrompt[] = [
  {
    name: 'test_simple_prompt',
    description: 'A prompt without arguments.',
    get: () => ({ messages: [user('This is a simple prompt for testing.')] }),
  },
  {
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two arguments; arg1 completes.',
    arguments: [
      {
        name: 'arg1',
        description: 'First test argument',
        required: true,
        complete: (value) =>
          ['paris', 'park', 'party', 'test-value'].filter((word) => word.startsWith(value)),
      },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
    get: ({ arg1, arg2 }) => ({
      messages: [user(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`)],
    }),
  },
  {
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt that embeds the resource it is given.',
    arguments: [
      { name: 'resourceUri', description: 'URI of the resource to embed', required: true },
    ],
    get: ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri!,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        user('Please process the embedded resource above.'),
      ],
    }),
  },
  {
    name: 'test_prompt_with_image',
    description: 'A prompt with an image.',
    get: () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
        user('Please analyze the image above.'),
      ],
    }),
  },
];

const textResource = (uri: string, name: string, description: string, text: string) => ({
  uri,
  name,
  description,
  mimeType: 'text/plain',
  read: () => ({ contents: [{ uri, mimeType: 'text/plain', text }] }),
});

const resources: LoopbackResource[] = [
  textResource(
    'test://static-text',
    'static-text',
    'A static text resource.',
    'This is the content of the static text resource.',
  ),
  {
    uri: 'test://static-binary',
    name: 'static-binary',
    description: 'A static binary resource (a PNG).',
    mimeType: 'image/png',
    read: () => ({
      contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG_BASE64 }],
    }),
  },
  textResource(
    'test://watched-resource',
    'watched-resource',
    'A resource a client may subscribe to.',
    'Watched content',
  ),
];

const resourceTemplates: LoopbackResourceTemplate[] = [
  {
    uriTemplate: 'test://template/{id}/data',
    name: 'template',
    description: 'Data for one id.',
    mimeType: 'application/json',
    read: (uri, { id }) => ({
      contents: [
        {
          uri,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }),
        },
      ],
    }),
  },
];

/** Everything the loopback target offers the scenarios. */
export const LOOPBACK_CATALOG = {
  tools,
  prompts,
  resources,
  resourceTemplates,
} satisfies Partial<LoopbackServerOptions>;
