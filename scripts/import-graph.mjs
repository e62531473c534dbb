#!/usr/bin/env node
// The import graph between the directories of src/ (type-only imports included): one
// line per directory with what it imports, then any cycle. Exit 1 on a cycle. A file
// directly in src/ (daemon.ts, errors.ts, version.ts) is a node of its own.
// Run from the repository root: node scripts/import-graph.mjs
import fs from 'node:fs';
import path from 'node:path';

const src = path.resolve('src');
const dirOf = (file) => {
  const rel = path.relative(src, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0] : rel.replace(/\.(js|ts)$/, '.ts');
};
const files = fs.readdirSync(src, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, f));
const edges = new Map();
for (const file of files) {
  const from = dirOf(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
    const to = dirOf(path.resolve(path.dirname(file), m[1]));
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
  }
}
const dirs = [...new Set([...files.map(dirOf)])].sort();
for (const d of dirs) console.log(`${d.padEnd(10)} → ${[...(edges.get(d) ?? [])].sort().join(', ') || '(nothing)'}`);
// cycles: depth-first search, reporting each back edge's loop
const cycles = [];
const state = new Map();
const visit = (d, trail) => {
  state.set(d, 'open');
  for (const next of edges.get(d) ?? []) {
    if (state.get(next) === 'open') cycles.push([...trail.slice(trail.indexOf(next)), next].join(' → '));
    else if (!state.has(next)) visit(next, [...trail, next]);
  }
  state.set(d, 'done');
};
for (const d of dirs) if (!state.has(d)) visit(d, [d]);
if (cycles.length > 0) {
  console.log(`cycles:\n  ${cycles.join('\n  ')}`);
  process.exit(1);
}
console.log('no cycles');
