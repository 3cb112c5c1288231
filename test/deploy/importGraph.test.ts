// Issue 12, "done when": the import graph of the service, the extension, the webview and the
// protocol has no cycle between files and none between folders (a top-level folder of service/,
// or the extension, webview or protocol as a whole). Type-only imports count: an arrow a reader
// follows is an arrow, whether or not the compiler erases it. Each failure names every import
// that makes the cycle.
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  describeCycle,
  findCycles,
  folderArrows,
  folderOf,
  importGraph,
  readSources,
} from '../support/importGraph';
import type { Edge, SourceFiles } from '../support/importGraph';
import { tierSuite } from '../support/tiers';

const REPO = path.join(__dirname, '..', '..');
const ROOTS = ['service', 'extension', 'webview', 'protocol'];

const graphs = new WeakMap<SourceFiles, ReturnType<typeof importGraph>>();
/** The graph of a set of sources, parsed once. */
function graphOf(files: SourceFiles): ReturnType<typeof importGraph> {
  let graph = graphs.get(files);
  if (!graph) graphs.set(files, (graph = importGraph(files)));
  return graph;
}

/** The file cycles of a set of sources, each as readable lines; empty when there is none. */
function fileCycles(files: SourceFiles): string[] {
  const { edges } = graphOf(files);
  const kinds = kindsOf(edges);
  return findCycles(
    files.keys(),
    edges.map((e) => [e.from, e.to] as [string, string]),
  ).map((c) => describeCycle(c, (a, b) => kinds.get(`${a}\0${b}`) ?? ''));
}

/** The folder cycles of a set of sources, each arrow with one import that makes it. */
function folderCycles(files: SourceFiles): string[] {
  const { edges } = graphOf(files);
  const arrows = folderArrows(edges);
  const folders = new Set([...files.keys()].map(folderOf));
  return findCycles(
    folders,
    [...arrows.keys()].map((k) => k.split('\0') as [string, string]),
  ).map((c) =>
    describeCycle(c, (a, b) => {
      const e = arrows.get(`${a}\0${b}`)!;
      return `${e.from} imports ${e.to}${e.kind === 'value' ? '' : ` (${e.kind})`}`;
    }),
  );
}

function kindsOf(edges: readonly Edge[]): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const e of edges) {
    const key = `${e.from}\0${e.to}`;
    kinds.set(key, [kinds.get(key), e.kind].filter(Boolean).join(', '));
  }
  return kinds;
}

function report(what: string, cycles: string[]): string {
  return `${cycles.length} ${what} cycle(s):\n${cycles.map((c, i) => `  ${i + 1}.\n${c}`).join('\n')}`;
}

tierSuite('unit', 'deploy: the import graph has no cycle', () => {
  let sources: Map<string, string>;
  before(function () {
    this.timeout(60_000); // parsing every file takes a few seconds on a busy machine
    sources = readSources(REPO, ROOTS);
    graphOf(sources);
  });

  it('reads every source file and resolves every relative import', () => {
    assert.ok(sources.size > 100, `only ${sources.size} files read`);
    for (const root of ROOTS) {
      assert.ok(
        [...sources.keys()].some((f) => f.startsWith(`${root}/`)),
        `nothing in ${root}/`,
      );
    }
    const { edges, unresolved } = graphOf(sources);
    assert.deepEqual(unresolved, [], 'relative imports that name no file');
    assert.ok(edges.length > sources.size, `only ${edges.length} imports found`);
  });

  it('no cycle between files', () => {
    const cycles = fileCycles(sources);
    if (cycles.length) assert.fail(report('file', cycles));
  });

  it('no cycle between folders (service/<folder>/, extension/, webview/, protocol/)', () => {
    const cycles = folderCycles(sources);
    if (cycles.length) assert.fail(report('folder', cycles));
  });

  describe('the check itself, on planted graphs', () => {
    const planted = (files: Record<string, string>) => new Map(Object.entries(files));

    it('finds a file cycle through import, export-from, import type and import()', () => {
      const files = planted({
        'service/a.ts': "import { b } from './b';\nexport const a = b;",
        'service/b.ts': "export { c as b } from './c/index';",
        'service/c/index.ts': "import type { D } from '../d';\nexport const c: D = 1;",
        'service/d.ts': "export type D = number;\nexport const load = () => import('./a');",
        'service/ok.ts': "import { a } from './a';\nimport { z } from 'zod';\nexport { a, z };",
      });
      const cycles = fileCycles(files);
      assert.equal(cycles.length, 1, report('file', cycles));
      assert.equal(
        cycles[0],
        [
          '    service/a.ts → service/b.ts   (value)',
          '    service/b.ts → service/c/index.ts   (value)',
          '    service/c/index.ts → service/d.ts   (type)',
          '    service/d.ts → service/a.ts   (dynamic)',
        ].join('\n'),
      );
    });

    it('finds a folder cycle that no file cycle shows', () => {
      const files = planted({
        'service/store/index.ts': "import { key } from '../crypto/keys';\nexport const s = key;",
        'service/store/rows.ts': 'export const rows = [];',
        'service/crypto/keys.ts': 'export const key = 1;',
        'service/crypto/rotate.ts': "import { rows } from '../store/rows';\nexport const r = rows;",
        'protocol/model.ts': "import type { K } from '../extension/k';\nexport type M = K;",
        'extension/k.ts': "import type { M } from '../protocol/model';\nexport type K = M | 1;",
      });
      assert.equal(fileCycles(files).length, 1, 'only protocol ↔ extension is a file cycle');
      const cycles = folderCycles(files);
      assert.equal(cycles.length, 2, report('folder', cycles));
      assert.match(cycles.join('\n'), /service\/crypto\/ → service\/store\//);
      assert.match(
        cycles.join('\n'),
        /service\/store\/ → service\/crypto\/ {3}\(service\/store\/index\.ts imports service\/crypto\/keys\.ts\)/,
      );
      assert.match(cycles.join('\n'), /extension\/ → protocol\/ .*\(type\)/);
    });

    it('passes a layered graph, and names an import of a missing file', () => {
      const files = planted({
        'service/vocabulary.ts': 'export const A = 1;',
        'service/store/a.ts': "import { A } from '../vocabulary';\nexport const a = A;",
        'service/domain/x.ts': "import { a } from '../store/a';\nimport './gone';\nexport { a };",
        'webview/main.ts': "import type { A } from '../protocol/m';\nexport type W = A;",
        'protocol/m.ts': "export type { A } from '../service/vocabulary';",
      });
      assert.deepEqual(fileCycles(files), []);
      assert.deepEqual(folderCycles(files), []);
      assert.deepEqual(importGraph(files).unresolved, ['service/domain/x.ts: ./gone']);
    });
  });
});
