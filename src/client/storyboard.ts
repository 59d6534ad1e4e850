/**
 * `storyreel/storyboard`: the storyboard format for programs that write or check storyboards: the zod schemas
 * (each schema and its type share one name), parsing with errors that name the path, the JSON Schema, prompt lint,
 * and the types of a plan. Pure: importing it starts nothing and touches no file.
 */
export {
  Aspect,
  BibleEntry,
  ContinuityMode,
  Defaults,
  Enhancer,
  Output,
  Scene,
  SizeText,
  Storyboard,
  StoryboardShape,
  Style,
  Transition,
  TransitionType,
  type StoryboardInput,
} from '../storyboard/schema.js';
export { BatchManifest, type BatchItem } from '../storyboard/batch.js';
export { parseStoryboardDocument, parseStoryboardText, validateStoryboard } from '../storyboard/parse.js';
export { storyboardJsonSchema } from './json-schema.js';
export { lintStoryboard, type LintRule, type LintWarning } from '../storyboard/lint.js';
export { StoryboardError, type InputIssue } from '../storyboard/errors.js';
export type { FrameSource, ProductionPlan, ScenePlan } from '../storyboard/plan.js';
