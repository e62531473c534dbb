#!/usr/bin/env node
// Fails (exit 1) on an export of src/ that no other module of src/ imports: dead code, or
// a production module keeping something only for its tests. Tests should test through
// what production uses; where that is not enough, the export is listed in ALLOWED below
// with the reason. Uses the TypeScript compiler (a devDependency) to resolve every import
// to the symbol it names, so `import { x as y }`, re-exports and `import type` all count.
// Run from the repository root: node scripts/unused-exports.mjs
import path from 'node:path';
import ts from 'typescript';

/**
 * Exports no module of src/ imports, kept for a reason. A key is `file:name`, or `file`
 * for every export of that file that only tests use.
 */
const ALLOWED = new Map([
  ['src/cli/main.ts:main', 'the entry point: bin/mrsocko and the CLI tests call it'],
  ['src/cli/main.ts:runFromCommandLine', 'the bin (scripts/bin-loader.cjs) calls it in the bundle'],
  // pure parsers and renderers of systemd's and the kernel's formats, tested line by line
  // against real samples; production uses them through the module's one entry point
  ['src/systemd/socket-info.ts', 'socketInode, describeSocket: tested on their own'],
  ['src/systemd/socket-text.ts', 'parsers of /proc/net and ss lines, tested on real samples'],
  ['src/systemd/notify.ts', 'sd_notify message builders, protocol strings as named constants (see STYLE)'],
  ['src/systemd/listen-fds.ts', "sd_listen_fds' variables as named constants, mirroring the C API"],
  ['src/systemd/units.ts', 'each generated unit file, tested one by one'],
  ['src/systemd/unit-quoting.ts', 'systemd quoting of words and comments, tested one by one'],
  ['src/systemd/watchdog.ts:readBlockHook', 'the debug hook\'s parser, tested on its own'],
  // constants tests size their payloads or bounds from, so a change to them moves the test too
  ['src/access/refusal-log.ts:REFUSAL_MAX_SOURCES', 'the test floods exactly past this bound'],
  ['src/session/eviction.ts:SILENT_MS', 'the eviction tests sit exactly on both sides of it'],
  ['src/session/eviction.ts:HOLDERS_LOOKED_AT', 'the eviction tests fill exactly this many holders'],
  ['src/backend/readiness.ts', 'the probe interval policy, tested as a pure function'],
  ['src/proxy/pipe.ts:BURST_BYTES', 'tests write more than one burst'],
  ['src/proxy/splice-pipe.ts:NATIVE_BURST_BYTES', 'the fairness test bounds one turn of the addon by it'],
  ['src/proxy/splice-pipe.ts:SplicePipe', 'production makes it through createPipe(); the pipe tests make one of each path'],
  ['src/proxy/data-path.ts', 'the data path choice and the addon loader: the bench runs both paths, tests check the choice'],
  ['src/proxy/read-buffers.ts:SLOT_BYTES', 'tests write more than one slot'],
  ['src/proxy/tcp.ts:CONNECTION_TRANSITIONS', 'the state machine as a table, tested on its own'],
  ['src/proxy/udp-flow.ts:FLOW_TRANSITIONS', 'the state machine as a table, tested on its own'],
  ['src/backend/exec.ts:describeArgv', 'short backend names, tested on their own'],
  ['src/backend/procfs.ts:liveGroupMembers', 'read from /proc of a real process group in its test'],
  ['src/backend/procfs.ts:parseStat', 'the e2e service tests read /proc/PID/stat of real services with it'],
  ['src/config/knock.ts:parseKnockStep', 'the [knock] sequence grammar, tested on its own'],
  ['src/backend/ready-check.ts:httpCheck', 'one http check against real servers, tested on its own'],
  ['src/backend/ready-check.ts:execCheck', 'one exec check with real commands, tested on its own'],
  ['src/backend/notify-socket.ts:parseNotifyMessage', 'the sd_notify datagram grammar, tested on its own'],
  ['src/config/port-range.ts:parseReserved', "the kernel's reserved-ports syntax, tested on samples"],
  ['src/access/knock/packet.ts:PACKET_LENGTH', 'tests build truncated and oversized packets from it'],
]);

const root = process.cwd();
const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  },
});
const program = ts.createProgram(parsed.fileNames, parsed.options);
const checker = program.getTypeChecker();
const rel = (f) => path.relative(root, f.fileName);
const inSrc = (f) => rel(f).startsWith('src/');
const files = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !rel(f).startsWith('node_modules'));

const nextAlias = (s) => {
  try {
    return checker.getImmediateAliasedSymbol(s);
  } catch {
    return checker.getAliasedSymbol(s); // kinds of alias the compiler cannot step through one by one
  }
};
/** export symbol → the kinds of modules that import it ('src', 'test'). */
const users = new Map();
const use = (symbol, from) => {
  // every link of an alias chain is used: `import { x } from './a.js'` where a.ts has
  // `export { x } from './b.js'` uses both a's re-export and b's declaration
  for (let s = symbol, hops = 0; s && hops < 16; hops += 1) {
    const kinds = users.get(s) ?? new Set();
    kinds.add(inSrc(from) ? 'src' : 'test');
    users.set(s, kinds);
    s = s.flags & ts.SymbolFlags.Alias ? nextAlias(s) : undefined;
  }
};
for (const file of files) {
  const visit = (node) => {
    if (ts.isExportSpecifier(node)) {
      // `export { x }` uses what x names, not the export it declares
      const own = checker.getSymbolAtLocation(node.name);
      if (own) use(nextAlias(own), file);
    } else if (ts.isImportSpecifier(node) || ts.isImportClause(node)) {
      if (node.name) use(checker.getSymbolAtLocation(node.name), file);
    } else if (ts.isNamespaceImport(node)) {
      // `import * as ns`: every export of that module counts as used
      const moduleSymbol = checker.getSymbolAtLocation(node.parent.parent.moduleSpecifier);
      if (moduleSymbol) for (const s of checker.getExportsOfModule(moduleSymbol)) use(s, file);
    } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      // `const { x } = await import('./m.js')`
      const name = node.propertyName ?? node.name;
      if (ts.isIdentifier(name)) use(checker.getTypeAtLocation(node.parent).getProperty(name.text), file);
    } else if (ts.isPropertyAccessExpression(node)) {
      // `(await import('./run.js')).runCommand`, `ns.x`
      use(checker.getSymbolAtLocation(node.name), file);
    } else if (ts.isImportTypeNode(node) && node.qualifier) {
      use(checker.getSymbolAtLocation(ts.isIdentifier(node.qualifier) ? node.qualifier : node.qualifier.right), file);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

/**
 * Symbols referred to inside their own module. A type export used in the module's own
 * signatures (an options interface, an event union) is part of that API even when no
 * caller names it; one nobody refers to at all is dead.
 */
const usedInOwnFile = new Set();
for (const file of files.filter(inSrc)) {
  const visit = (node) => {
    if (ts.isIdentifier(node) && !(node.parent && 'name' in node.parent && node.parent.name === node && ts.isDeclarationStatement(node.parent))) {
      const symbol = checker.getSymbolAtLocation(node);
      if (symbol) usedInOwnFile.add(symbol);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}
const isTypeOnly = (symbol) => {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return !(target.flags & ts.SymbolFlags.Value);
};

const problems = [];
for (const file of files.filter(inSrc)) {
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (!moduleSymbol) continue;
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const key = `${rel(file)}:${symbol.name}`;
    const kinds = users.get(symbol);
    if (kinds?.has('src') || ALLOWED.has(key) || (kinds !== undefined && ALLOWED.has(rel(file)))) continue;
    const type = isTypeOnly(symbol);
    if (type && usedInOwnFile.has(symbol)) continue;
    problems.push(`${key}: ${type ? 'type, ' : ''}${kinds ? 'used only by tests' : 'not used anywhere'}`);
  }
}
if (problems.length > 0) {
  console.error(`unused exports in src/ (remove the export, or list it in scripts/unused-exports.mjs with a reason):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('unused exports: none');
