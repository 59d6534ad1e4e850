/** Every workflow by name: a workflow's function name is its Temporal type (renaming it is a breaking change). */
export { produceStoryboard } from './produce-storyboard.js';
export { renderScene } from './render-scene.js';
export { produceBatch } from './produce-batch.js';
export { providerSlots } from './provider-slots.js';
export { followProduction } from './follow-production.js';
export { followBatch } from './follow-batch.js';
export { providerBreaker } from './provider-breaker.js';
