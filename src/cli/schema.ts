/** `storyreel schema`: the storyboard's JSON Schema (from the zod schema), for editor completion. */
import { z } from 'zod';
import { StoryboardShape } from '../storyboard/schema.js';
import { EXIT, type Io } from './common.js';

export function storyboardJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(StoryboardShape, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://storyreel.dev/schema/storyboard-v1.json',
    title: 'storyreel storyboard v1',
  };
}

export function schemaCommand(io: Io): number {
  io.out(JSON.stringify(storyboardJsonSchema(), null, 2));
  return EXIT.ok;
}
