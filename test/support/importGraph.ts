// The import graph of the project's TypeScript, read with the TypeScript compiler's parser (no
// type checking, no regular expressions): every import, `export … from` and `import()` between
// the project's own files, and the cycles in it, between files and between folders (issue 12).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** How one file uses another: a value import, an `import type`, or a lazy `import()`. */
export type EdgeKind = 'value' | 'type' | 'dynamic';

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
}

/** Files by their path relative to the repository, with `/` separators. */
export type SourceFiles = ReadonlyMap<string, string>;

/** Reads every .ts file below `roots` (relative to `repo`); `.d.ts` files import nothing real. */
export function readSources(repo: string, roots: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(repo, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(child);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.set(child, readFileSync(path.join(repo, child), 'utf8'));
      }
    }
  };
  for (const root of roots) walk(root);
  return files;
}

interface Specifier {
  text: string;
  kind: EdgeKind;
}

function specifiersOf(file: string, text: string): Specifier[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: Specifier[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      // `import type {…}`, or `import { type A, type B }` with nothing else: erased on emit.
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      found.push({ text: node.moduleSpecifier.text, kind: typeOnly ? 'type' : 'value' });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ text: node.moduleSpecifier.text, kind: node.isTypeOnly ? 'type' : 'value' });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({
        text: node.moduleReference.expression.text,
        kind: node.isTypeOnly ? 'type' : 'value',
      });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ text: node.arguments[0].text, kind: 'dynamic' });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      // `typeof import('./x')` in a type position.
      found.push({ text: node.argument.literal.text, kind: 'type' });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names among `files`, as TypeScript and esbuild resolve it. */
function resolve(from: string, specifier: string, files: SourceFiles): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null; // a package
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const stem = base.replace(/\.(c|m)?js$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}/index.ts`]) {
    if (files.has(candidate)) return candidate;
  }
  return null;
}

/**
 * Every arrow between the given files; imports of packages, and of files outside the set, are
 * left out. `unresolved` lists relative specifiers that named no file (a typo or a moved file).
 */
export function importGraph(files: SourceFiles): { edges: Edge[]; unresolved: string[] } {
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const [file, text] of files) {
    for (const s of specifiersOf(file, text)) {
      const to = resolve(file, s.text, files);
      if (to) edges.push({ from: file, to, kind: s.kind });
      else if (s.text.startsWith('.') && !outside(file, s.text, files)) {
        unresolved.push(`${file}: ${s.text}`);
      }
    }
  }
  return { edges, unresolved };
}

/** A relative import that leaves every root the set was read from (a JSON file, a script). */
function outside(from: string, specifier: string, files: SourceFiles): boolean {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const roots = new Set([...files.keys()].map((f) => f.split('/')[0]));
  return !roots.has(target.split('/')[0] ?? '') || /\.(json|mjs|cjs|css)$/.test(target);
}

/** A knot of the graph (a strongly connected component) and one closed walk `a → … → a` in it. */
export interface Cycle {
  walk: string[];
  /** Every node of the knot, sorted; more than the walk visits when cycles overlap. */
  members: string[];
}

/**
 * The cycles of a directed graph: one per strongly connected component with more than one node
 * (or a node pointing at itself), with a shortest closed walk through its first node.
 */
export function findCycles(nodes: Iterable<string>, arrows: Iterable<[string, string]>): Cycle[] {
  const next = new Map<string, Set<string>>();
  for (const n of nodes) next.set(n, new Set());
  for (const [a, b] of arrows) {
    if (!next.has(a)) next.set(a, new Set());
    if (!next.has(b)) next.set(b, new Set());
    next.get(a)!.add(b);
  }
  // Tarjan's strongly connected components, iteratively (deep graphs would overflow the stack).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of [...next.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; children: string[] }[] = [];
    const open = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, children: [...next.get(node)!].sort() });
    };
    open(start);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const child = frame.children.shift();
      if (child !== undefined) {
        if (!index.has(child)) open(child);
        else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== frame.node);
        if (component.length > 1 || next.get(frame.node)!.has(frame.node)) {
          components.push(component.sort());
        }
      }
    }
  }
  return components
    .map((members) => ({ walk: walkThrough(members, next), members }))
    .sort((a, b) => a.members[0]!.localeCompare(b.members[0]!));
}

/** A shortest closed walk from the component's first node back to it, inside the component. */
function walkThrough(component: string[], next: Map<string, Set<string>>): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift()!;
    for (const child of [...next.get(node)!].sort()) {
      if (!inside.has(child)) continue;
      if (child === start) {
        const walk = [start];
        for (let n = node; n !== start; n = cameFrom.get(n)!) walk.splice(1, 0, n);
        return [...walk, start];
      }
      if (!cameFrom.has(child)) {
        cameFrom.set(child, node);
        queue.push(child);
      }
    }
  }
  return [start, start]; // unreachable for a strongly connected component
}

/**
 * The folder a file belongs to for the folder graph: a top-level folder of service/ (a file
 * directly in service/ stands for itself), or the whole of extension/, webview/ or protocol/.
 */
export function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'service') return parts.length > 2 ? `service/${parts[1]}/` : file;
  return `${parts[0]}/`;
}

/** The arrows between folders, each with one import that makes it (for the failure message). */
export function folderArrows(
  edges: readonly Edge[],
  unit: (file: string) => string = folderOf,
): Map<string, Edge> {
  const arrows = new Map<string, Edge>();
  for (const e of edges) {
    const a = unit(e.from);
    const b = unit(e.to);
    if (a !== b && !arrows.has(`${a}\0${b}`)) arrows.set(`${a}\0${b}`, e);
  }
  return arrows;
}

/** A cycle as the reader of a failed test wants it: each arrow with the import behind it. */
export function describeCycle(cycle: Cycle, because?: (a: string, b: string) => string): string {
  const { walk, members } = cycle;
  const steps = walk.slice(0, -1).map((a, i) => {
    const b = walk[i + 1]!;
    return `    ${a} → ${b}${because ? `   (${because(a, b)})` : ''}`;
  });
  const others = members.filter((m) => !walk.includes(m));
  if (others.length) steps.push(`    (caught in the same knot: ${others.join(', ')})`);
  return steps.join('\n');
}
