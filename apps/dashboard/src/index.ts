// The dashboard's pure parts (layout, formatting, trace rows), importable and testable in node.
// The browser glue lives in ../client and is bundled by ../build.mjs.
export * from './format.js';
export * from './graph-layout.js';
export * from './trace-tree.js';
