/**
 * The import rules of the rooms: exactly the table in docs/architecture.md ("Rooms"). `npm run lint` runs this, so a
 * forbidden import fails CI. Each rule names the room it protects; `comment` says what to do instead.
 *
 * Value imports and type-only imports are told apart (tsPreCompilationDeps): workflows may *name* the types of the
 * rooms below them (proxyActivities<Activities>), but never load their code into the workflow sandbox.
 */
const TOP = '^(src/(cli|client|api|deploy)/|src/(worker|config|setup|index)\\.ts$|bin/)';
const OURS = '^(src|workflows|activities|bin)/';

/** A room that may import only the listed rooms of ours (plus itself and third-party packages). */
const only = (name, from, allowed, comment) => ({
  name,
  severity: 'error',
  comment,
  from: { path: from },
  to: { path: OURS, pathNot: [from, ...allowed] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No cycles anywhere.', from: {}, to: { circular: true } },
    only('contracts-depend-on-nothing', '^src/contracts/', [], 'src/contracts is the bottom: it imports nothing of ours.'),
    only(
      'storyboard-is-pure',
      '^src/storyboard/',
      ['^src/contracts/'],
      'src/storyboard is pure planning: contracts only (the catalog comes in as an argument).',
    ),
    only(
      'production-is-pure',
      '^src/production/',
      ['^src/contracts/', '^src/storyboard/'],
      'src/production: contracts and storyboard only.',
    ),
    {
      name: 'pure-rooms-no-node',
      severity: 'error',
      comment: 'Workflows and what they load (contracts, storyboard, production) run in the sandbox: no node:* modules, no I/O.',
      from: { path: '^(workflows|src/(contracts|storyboard|production))/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-rooms-no-temporal-runtime',
      severity: 'error',
      comment: 'storyboard and production are plain functions over data: no @temporalio/* (contracts may define search-attribute keys).',
      from: { path: '^src/(storyboard|production)/' },
      to: { path: 'node_modules/@temporalio/' },
    },
    only(
      'providers-below-temporal',
      '^src/providers/',
      ['^src/contracts/', '^src/media/', '^src/store/'],
      'Adapters take an AbortSignal and onProgress; they never import Temporal, the storyboard or workflows.',
    ),
    {
      name: 'adapters-no-temporal',
      severity: 'error',
      comment: 'providers, speech, media, store, mock and webhooks never import @temporalio/*.',
      from: { path: '^src/(providers|speech|media|store|mock|webhooks)/' },
      to: { path: 'node_modules/@temporalio/' },
    },
    only(
      'speech-room',
      '^src/speech/',
      ['^src/contracts/', '^src/media/', '^src/store/', '^src/providers/errors\\.ts$'],
      'src/speech: speech providers (official SDKs), the speech cache and voicing; contracts, media, store and the provider error class.',
    ),
    only('media-room', '^src/media/', ['^src/contracts/', '^src/store/'], 'src/media: ffmpeg/ffprobe; contracts and store helpers only.'),
    only('store-room', '^src/store/', ['^src/contracts/'], 'src/store: contracts only.'),
    only(
      'webhooks-room',
      '^src/webhooks/',
      ['^src/contracts/'],
      'src/webhooks: signing, destination checks and one delivery over HTTP; contracts only.',
    ),
    only('mock-stands-alone', '^src/mock/', [], 'A mock models a provider, not storyreel: it imports nothing of ours outside src/mock.'),
    only(
      'load-room',
      '^src/load/',
      ['^src/contracts/', '^src/storyboard/', '^src/media/', '^src/store/'],
      'src/load is the edge between files and the pure planner.',
    ),
    only('temporal-room', '^src/temporal/', ['^src/contracts/', '^src/store/'], 'src/temporal: connection, names, dev server.'),
    {
      name: 'workflows-value-imports',
      severity: 'error',
      comment:
        'Workflow code is sandboxed and deterministic: value-import only contracts, storyboard, production and siblings (types from anywhere below).',
      from: { path: '^workflows/' },
      to: { path: OURS, pathNot: ['^workflows/', '^src/(contracts|storyboard|production)/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-not-on-top',
      severity: 'error',
      comment: 'Workflows never name the top rooms (client, cli, api, worker), not even their types.',
      from: { path: '^workflows/' },
      to: { path: TOP },
    },
    {
      name: 'definitions-import-no-activity',
      severity: 'error',
      comment: 'workflows/definitions.ts holds messages shared with clients and activities: it imports no activity.',
      from: { path: '^workflows/definitions\\.ts$' },
      to: { path: '^activities/' },
    },
    {
      name: 'activities-room',
      severity: 'error',
      comment: 'Activities are thin I/O steps over src/* adapters; of workflows/ they value-import only the message definitions.',
      from: { path: '^activities/' },
      to: {
        path: OURS,
        pathNot: [
          '^activities/',
          '^src/(contracts|storyboard|production|providers|speech|media|store|load|webhooks)/',
          '^workflows/definitions\\.ts$',
        ],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'nothing-imports-the-top',
      severity: 'error',
      comment: 'worker, client, cli, api and deploy sit on top: nothing below imports them.',
      from: { path: OURS, pathNot: TOP },
      to: { path: TOP },
    },
    {
      name: 'product-never-imports-tests',
      severity: 'error',
      comment: 'Product code never loads test/ or bench/ (they are not shipped).',
      from: { path: OURS },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
