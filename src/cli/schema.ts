/** `storyreel schema`: the storyboard's JSON Schema (from the zod schema), for editor completion. */
import { storyboardJsonSchema } from '../client/json-schema.js';
import { EXIT, type Io } from './common.js';

export function schemaCommand(io: Io): number {
  io.out(JSON.stringify(storyboardJsonSchema(), null, 2));
  return EXIT.ok;
}
