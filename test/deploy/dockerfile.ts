// A small Dockerfile reader for the deploy tests: instructions (continuations joined, comments
// dropped) grouped into build stages, enough to check the recipe and to replay its runtime stage.
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuations joined with single spaces. */
  args: string;
}

export interface Stage {
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function readDockerfile(file: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1).trim() + ' ';
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  const stages: Stage[] = [];
  for (const text of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(text);
    if (!m?.[1]) continue;
    const keyword = m[1].toUpperCase();
    const args = m[2] ?? '';
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ base: from?.[1] ?? args, name: from?.[2], instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage) stage.instructions.push({ keyword, args });
  }
  return stages;
}

/** The JSON (exec) form of CMD/HEALTHCHECK arguments, after any --flags. */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new Error(`not an exec-form array: ${args}`);
  }
  return parsed as string[];
}

/** ENV instructions of a stage as a map (`ENV A=1 B=2` form). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.keyword === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      if (m[1] && m[2]) env[m[1]] = m[2].replace(/^"|"$/g, '');
    }
  }
  return env;
}

export interface CopyStep {
  from: string | undefined;
  sources: string[];
  dest: string;
}

/** COPY instructions of a stage: `--from=` stage (if any), sources and destination. */
export function copiesOf(stage: Stage): CopyStep[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      const dest = paths.pop();
      if (!dest) throw new Error(`COPY without a destination: ${i.args}`);
      return { from, sources: paths, dest };
    });
}
