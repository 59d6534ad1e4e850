/** Import rules of the rooms (docs/architecture.md, "Rooms"): checked in CI by `npm run lint`. */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No cycles anywhere.', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
