// Routes messages from the webview to handlers and guarantees that every request, known or
// not, valid or not, gets exactly one response, errors included, as words a user can read.
import { z } from 'zod';
import { isAnyRequest, isCommand } from '../protocol/messages';
import type { MessageType, Response } from '../protocol/messages';
import { ServiceError } from './client';

interface Route {
  schema: z.ZodType;
  handle: (params: unknown) => Promise<unknown>;
}

export class MessageRouter {
  private readonly requests = new Map<string, Route>();
  private readonly commands = new Map<string, () => void | Promise<void>>();

  /** Registers a request handler; params are checked by `schema` before `handle` sees them. */
  onRequest<P, R>(
    type: MessageType<P, R>,
    schema: z.ZodType<P>,
    handle: (params: P) => Promise<R>,
  ): this {
    this.requests.set(type.method, {
      schema,
      handle: (params) => handle(params as P),
    });
    return this;
  }

  onCommand(type: MessageType<undefined>, handle: () => void | Promise<void>): this {
    this.commands.set(type.method, handle);
    return this;
  }

  /**
   * Handles one message from the webview. Returns the response to post back for a request,
   * undefined for anything else (commands run, junk is ignored: it has no id to answer).
   */
  async dispatch(message: unknown): Promise<Response<unknown> | undefined> {
    if (isAnyRequest(message)) {
      const { id, method } = message;
      const route = this.requests.get(method);
      if (!route) return { kind: 'response', id, ok: false, error: `Unknown request "${method}".` };
      const parsed = route.schema.safeParse(message.params);
      if (!parsed.success) {
        return { kind: 'response', id, ok: false, error: describeInvalid(parsed.error) };
      }
      try {
        const result = await route.handle(parsed.data);
        // `undefined` does not survive postMessage as a property value reliably: send null.
        return { kind: 'response', id, ok: true, result: result ?? null };
      } catch (err) {
        return { kind: 'response', id, ok: false, error: userMessage(err) };
      }
    }
    for (const [method, handle] of this.commands) {
      if (isCommand(message, { method })) {
        await handle();
        break;
      }
    }
    return undefined;
  }
}

function describeInvalid(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return `Invalid input: ${where}${issue?.message ?? 'not accepted'}.`;
}

/** One line a user reads; ServiceError messages are made for that, others are trimmed. */
export function userMessage(err: unknown): string {
  if (err instanceof ServiceError) return err.message;
  if (err instanceof z.ZodError) return describeInvalid(err);
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300) || 'Something went wrong.';
}
