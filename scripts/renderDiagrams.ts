import { captureMachine, requestMachine, toMermaid, toolCallMachine } from '../machines/index.js';

/** The diagrams/ files as they must be: file name -> Markdown with one Mermaid block. */
export function renderDiagrams(): Map<string, string> {
  const files = new Map<string, string>();
  for (const machine of [captureMachine, requestMachine, toolCallMachine]) {
    files.set(
      `${machine.id}.md`,
      [
        `<!-- Generated from machines/ by \`npm run diagrams\`. Do not edit by hand. -->`,
        '',
        `# ${machine.id}`,
        '',
        '```mermaid',
        toMermaid(machine).trimEnd(),
        '```',
        '',
      ].join('\n'),
    );
  }
  return files;
}
