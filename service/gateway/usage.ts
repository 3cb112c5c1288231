// Token usage as the providers report it, read from the answer while it streams through: JSON
// answers are kept (up to a bound) and parsed at the end; server-sent events are read line by
// line as they pass, keeping only the current line. Shapes understood: OpenAI chat
// (`usage.prompt_tokens`/`completion_tokens`) and responses (`usage.input_tokens`, also inside
// `response`), Anthropic (`message.usage` at the start, `usage.output_tokens` at the end) and
// Google (`usageMetadata.promptTokenCount`/`candidatesTokenCount`, `modelVersion`).

export interface Usage {
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
}

/** JSON answers larger than this are passed through without reading their usage. */
const MAX_JSON_COPY = 4 * 1024 * 1024;
/** An SSE line longer than this is skipped (usage events are short). */
const MAX_SSE_LINE = 1024 * 1024;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null;
const str = (v: unknown): string | null =>
  typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : null;

/** Folds what one JSON value says about usage and model into `into` (later values win). */
export function foldUsage(into: Usage, value: unknown): void {
  if (!isObject(value)) return;
  const nested = [value.response, value.message].filter(isObject);
  for (const n of nested) foldUsage(into, n);
  into.model = str(value.model) ?? str(value.modelVersion) ?? into.model;
  const u = value.usage;
  if (isObject(u)) {
    into.inputTokens = num(u.prompt_tokens) ?? num(u.input_tokens) ?? into.inputTokens;
    into.outputTokens = num(u.completion_tokens) ?? num(u.output_tokens) ?? into.outputTokens;
  }
  const g = value.usageMetadata;
  if (isObject(g)) {
    into.inputTokens = num(g.promptTokenCount) ?? into.inputTokens;
    into.outputTokens = num(g.candidatesTokenCount) ?? into.outputTokens;
  }
}

const USAGE_MARK = Buffer.from('"usage');
const MODEL_MARK = Buffer.from('"model');
const NEWLINE = 0x0a;

/**
 * Reads usage from an answer fed chunk by chunk; never holds a whole stream. Server-sent events
 * are scanned as bytes: a line is decoded and parsed only when it holds `"usage` (or `"model`
 * while the model is unknown), so the content deltas of a long stream cost a byte search each.
 */
export class UsageMeter {
  readonly usage: Usage;
  private readonly sse: boolean;
  private readonly json: boolean;
  private chunks: Buffer[] = [];
  private size = 0;
  /** The current SSE line so far (references to the chunks, not copies), and whether it matters. */
  private line: Buffer[] = [];
  private lineSize = 0;
  private lineMarked = false;
  /** The line's last 8 bytes so far, for a marker cut apart by chunk boundaries. */
  private tail: Buffer = Buffer.alloc(0);

  constructor(contentType: string | undefined, requestModel: string | null) {
    const type = (contentType ?? '').toLowerCase();
    this.sse = type.includes('text/event-stream');
    this.json = !this.sse && type.includes('json');
    this.usage = { model: requestModel, inputTokens: null, outputTokens: null };
  }

  feed(chunk: Buffer): void {
    if (this.sse) this.feedSse(chunk);
    else if (this.json && this.size + chunk.length <= MAX_JSON_COPY) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    } else if (this.json) {
      this.chunks = [];
      this.size = Infinity;
    }
  }

  /** Call once when the answer ended; returns what was found. */
  finish(): Usage {
    if (this.sse) {
      this.endLine();
    } else if (this.json && this.chunks.length > 0) {
      try {
        foldUsage(this.usage, JSON.parse(Buffer.concat(this.chunks).toString('utf8')));
      } catch {
        // not JSON after all: no usage to report
      }
      this.chunks = [];
    }
    return this.usage;
  }

  private feedSse(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      this.addPiece(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.addPiece(chunk.subarray(start));
  }

  private hasMark(piece: Buffer, mark: Buffer): boolean {
    if (piece.indexOf(mark) >= 0) return true;
    if (this.tail.length === 0) return false;
    const joint = Buffer.concat([this.tail, piece.subarray(0, mark.length - 1)]);
    return joint.indexOf(mark) >= 0;
  }

  private addPiece(piece: Buffer): void {
    if (!this.lineMarked) {
      this.lineMarked =
        this.hasMark(piece, USAGE_MARK) ||
        (this.usage.model === null && this.hasMark(piece, MODEL_MARK));
    }
    const joined = Buffer.concat([this.tail, piece.subarray(Math.max(0, piece.length - 8))]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - 8)));
    this.lineSize += piece.length;
    // An over-long line is dropped (usage events are short); its size still counts.
    if (this.lineSize <= MAX_SSE_LINE) this.line.push(piece);
  }

  private endLine(): void {
    const marked = this.lineMarked && this.lineSize <= MAX_SSE_LINE;
    const pieces = this.line;
    this.line = [];
    this.lineSize = 0;
    this.lineMarked = false;
    this.tail = Buffer.alloc(0);
    if (marked) this.onLine(Buffer.concat(pieces).toString('utf8'));
  }

  private onLine(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trimStart();
    if (!data.startsWith('{')) return;
    try {
      foldUsage(this.usage, JSON.parse(data));
    } catch {
      // an event that is not JSON says nothing about usage
    }
  }
}

/** The model a request names: the JSON body's `model`, else Google's `/models/{model}:…` path. */
export function requestModel(
  rest: string,
  body: Buffer,
  contentType: string | undefined,
): string | null {
  const path = /\/models\/([^/:?]+)/.exec(rest);
  if (body.length > 0 && (contentType ?? '').toLowerCase().includes('json')) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (isObject(parsed) && typeof parsed.model === 'string') return str(parsed.model);
    } catch {
      // the provider will answer a bad body itself
    }
  }
  if (path) {
    try {
      return str(decodeURIComponent(path[1]!));
    } catch {
      return null;
    }
  }
  return null;
}
