// Token usage as the providers report it, read from the answer while it streams through: JSON
// answers are kept (up to a bound) and parsed at the end; server-sent events are searched a
// chunk at a time as they pass, and only the lines that carry usage are parsed. Shapes understood: OpenAI chat
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
/** OpenAI sends `"usage":null` in every chunk of a stream that asked for usage: not worth a parse. */
const USAGE_NULL = Buffer.from('"usage":null');
const MODEL_MARK = Buffer.from('"model');
const NEWLINE = 0x0a;
/** How many bytes of a line's end are kept to find a marker cut apart by a chunk boundary. */
const EDGE = USAGE_NULL.length;

/**
 * Reads usage from an answer fed chunk by chunk; never holds a whole stream. Server-sent events
 * are scanned as bytes, a whole chunk at a time: the lines that hold `"usage` (or `"model` while
 * the model is unknown) are found with a native byte search and only they are decoded and
 * parsed, so the content deltas of a long stream cost one search per chunk, no copy. Only a
 * line cut by a chunk boundary is held (as references to its pieces) until its end arrives.
 */
export class UsageMeter {
  readonly usage: Usage;
  private readonly sse: boolean;
  private readonly json: boolean;
  private chunks: Buffer[] = [];
  private size = 0;
  /** The line begun in an earlier chunk and not ended yet: its pieces, size, and whether it matters. */
  private line: Buffer[] = [];
  private lineSize = 0;
  private lineMarked = false;
  /**
   * That line's last bytes so far (the first `edgeLength` bytes), for a marker cut apart by chunk
   * boundaries; the rest is room to join them to the next piece's first bytes.
   */
  private readonly scratch = Buffer.alloc(2 * EDGE);
  private edgeLength = 0;

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
    if (this.lineSize > 0 || this.lineMarked) {
      // The end of the line an earlier chunk began.
      const nl = chunk.indexOf(NEWLINE);
      this.addPiece(nl < 0 ? chunk : chunk.subarray(0, nl));
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(NEWLINE);
    if (lastNl >= start) {
      this.scanLines(chunk, start, lastNl, USAGE_MARK);
      if (this.usage.model === null) this.scanLines(chunk, start, lastNl, MODEL_MARK);
      start = lastNl + 1;
    }
    if (start < chunk.length) this.addPiece(chunk.subarray(start));
  }

  /** The whole lines in chunk[from, to] that hold `mark`, parsed (to is a newline's index). */
  private scanLines(chunk: Buffer, from: number, to: number, mark: Buffer): void {
    let at = chunk.indexOf(mark, from);
    while (at >= 0 && at < to) {
      const end = chunk.indexOf(NEWLINE, at);
      if (mark === USAGE_MARK && this.onlyNullUsage(chunk, at, end)) {
        at = chunk.indexOf(mark, end + 1);
        continue;
      }
      const begin = chunk.lastIndexOf(NEWLINE, at) + 1;
      if (end - begin <= MAX_SSE_LINE) this.onLine(chunk.toString('utf8', begin, end));
      at = chunk.indexOf(mark, end + 1);
    }
  }

  /** True when the line's every `"usage` is `"usage":null` (and the model is known). */
  private onlyNullUsage(chunk: Buffer, at: number, end: number): boolean {
    if (this.usage.model === null) return false;
    for (let i = at; i >= 0 && i < end; i = chunk.indexOf(USAGE_MARK, i + 1)) {
      if (!chunk.subarray(i, i + USAGE_NULL.length).equals(USAGE_NULL)) return false;
    }
    return true;
  }

  private hasMark(piece: Buffer, mark: Buffer): boolean {
    if (piece.indexOf(mark) >= 0) return true;
    if (this.edgeLength === 0) return false;
    // The line's last bytes so far and the piece's first ones, in a scratch buffer (no allocation).
    const head = Math.min(piece.length, mark.length - 1);
    piece.copy(this.scratch, this.edgeLength, 0, head);
    return this.scratch.subarray(0, this.edgeLength + head).indexOf(mark) >= 0;
  }

  /** A piece of a line cut by a chunk boundary. */
  private addPiece(piece: Buffer): void {
    if (!this.lineMarked) {
      this.lineMarked =
        this.hasMark(piece, USAGE_MARK) ||
        (this.usage.model === null && this.hasMark(piece, MODEL_MARK));
    }
    // Keep the line's last EDGE bytes at the start of the scratch buffer.
    if (piece.length >= EDGE) {
      piece.copy(this.scratch, 0, piece.length - EDGE);
      this.edgeLength = EDGE;
    } else {
      const kept = Math.min(this.edgeLength, EDGE - piece.length);
      this.scratch.copyWithin(0, this.edgeLength - kept, this.edgeLength);
      piece.copy(this.scratch, kept);
      this.edgeLength = kept + piece.length;
    }
    this.lineSize += piece.length;
    // An over-long line is dropped (usage events are short); its size still counts.
    if (this.lineSize <= MAX_SSE_LINE) this.line.push(piece);
    else this.line = [];
  }

  private endLine(): void {
    const marked = this.lineMarked && this.lineSize <= MAX_SSE_LINE;
    const pieces = this.line;
    this.line = [];
    this.lineSize = 0;
    this.lineMarked = false;
    this.edgeLength = 0;
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

/** Bodies up to this size are parsed whole for their model; larger ones are only searched. */
const PARSE_BODY_LIMIT = 256 * 1024;
/** Where the SDKs write `model` in a large body: its first or its last few KiB. */
const MODEL_WINDOW = 8 * 1024;
const MODEL_FIELD = /"model"\s*:\s*"([^"\\]{1,200})"/;

/**
 * The model a request names: the JSON body's `model`, else Google's `/models/{model}:…` path. A
 * large body (a prompt with files) is not parsed for it: its first and last KiB are searched
 * (the SDKs write `model` first or last), so an 8 MB prompt costs no parse on the way through.
 */
export function requestModel(
  rest: string,
  body: Buffer,
  contentType: string | undefined,
): string | null {
  const path = /\/models\/([^/:?]+)/.exec(rest);
  if (body.length > 0 && (contentType ?? '').toLowerCase().includes('json')) {
    if (body.length <= PARSE_BODY_LIMIT) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (isObject(parsed) && typeof parsed.model === 'string') return str(parsed.model);
      } catch {
        // the provider will answer a bad body itself
      }
    } else {
      const head = MODEL_FIELD.exec(body.toString('utf8', 0, MODEL_WINDOW));
      const tail = head ?? MODEL_FIELD.exec(body.toString('utf8', body.length - MODEL_WINDOW));
      if (tail?.[1]) return str(tail[1]);
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
