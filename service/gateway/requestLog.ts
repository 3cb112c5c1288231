// What the gateway writes for a call: its `ai_request` audit row before the user's key is used
// (fail closed: when the row cannot be written the call is refused and the key never leaves),
// completed with the provider's status and usage, with its `ai_usage` row, once the answer ended.
// Calls that arrive or end together share one transaction, so 32 streams starting at once cost
// one commit, not 32; a batch that fails is written again row by row, so one bad row fails only
// its own call. Completions are retried; if one is lost for good, the row written first still
// tells that the call was made (its detail says the outcome is unknown).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { type AuditEntryInput, completeAudit, recordAudit } from '../audit/audit';
import type { Logger } from '../logger';
import { type NewAiUsage, recordAiUsage } from '../store/aiUsage';
import { markCredentialUsed } from '../store/credentials';
import { inTransaction } from '../store/retry';
import type { AuditOutcome, Database } from '../store/schema';
import { MARK_USED_INTERVAL_MS } from '../crypto/secrets';

interface Begin {
  entry: AuditEntryInput;
  resolve(id: number): void;
  reject(err: unknown): void;
}

interface Finish {
  auditId: number;
  result: { outcome: AuditOutcome; detail: string };
  usage: NewAiUsage;
  done(): void;
}

/** Attempts of a completion written alone (after its batch failed), 100 ms, 400 ms apart. */
const FINISH_ATTEMPTS = 3;

export class AiRequestLog {
  private begins: Begin[] = [];
  private finishes: Finish[] = [];
  private busy = false;
  /** When each credential's last_used_at was last written (at most once a second each). */
  private readonly marked = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  /** Writes the call's audit row; resolves to its id, or rejects (SERVICE_UNAVAILABLE). */
  begin(entry: AuditEntryInput): Promise<number> {
    return new Promise((resolve, reject) => {
      this.begins.push({ entry, resolve, reject });
      this.schedule();
    });
  }

  /** Completes the row and adds the usage row; resolves when written or given up (logged). */
  finish(
    auditId: number,
    result: { outcome: AuditOutcome; detail: string },
    usage: NewAiUsage,
  ): Promise<void> {
    return new Promise((done) => {
      this.finishes.push({ auditId, result, usage, done });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy) return; // the running loop takes it with its next batch
    this.busy = true;
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    while (this.begins.length > 0 || this.finishes.length > 0) {
      const begins = this.begins.splice(0);
      const finishes = this.finishes.splice(0);
      await this.write(begins, finishes);
      await this.markUsed(finishes);
      for (const f of finishes) f.done();
    }
    this.busy = false;
  }

  private async write(begins: Begin[], finishes: Finish[]): Promise<void> {
    try {
      let ids: number[];
      if (begins.length === 1 && finishes.length === 0) {
        // Alone: one statement commits by itself, no transaction around it.
        ids = [await recordAudit(this.db, begins[0]!.entry)];
      } else {
        ids = await inTransaction(this.db, async (tx) => {
          const written: number[] = [];
          for (const b of begins) written.push(await recordAudit(tx, b.entry));
          for (const f of finishes) {
            await completeAudit(tx, f.auditId, f.result);
            await recordAiUsage(tx, f.usage);
          }
          return written;
        });
      }
      begins.forEach((b, i) => b.resolve(ids[i]!));
      return;
    } catch (err) {
      if (begins.length + finishes.length === 1 && begins.length === 1) {
        begins[0]!.reject(err);
        return;
      }
    }
    // The batch failed: each row alone, so that one that cannot be written fails only its call.
    for (const b of begins) {
      try {
        b.resolve(await recordAudit(this.db, b.entry));
      } catch (err) {
        b.reject(err);
      }
    }
    for (const f of finishes) await this.finishAlone(f);
  }

  private async finishAlone(f: Finish): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await inTransaction(this.db, async (tx) => {
          await completeAudit(tx, f.auditId, f.result);
          await recordAiUsage(tx, f.usage);
        });
        break;
      } catch (err) {
        if (attempt >= FINISH_ATTEMPTS) {
          // The row written before the call stays; only its status and usage are missing.
          this.logger.error(
            { err: (err as Error).message, auditId: f.auditId },
            'recording the end of an AI request failed',
          );
          break;
        }
        await sleep(100 * 4 ** (attempt - 1));
      }
    }
  }

  /**
   * last_used_at of the keys used, at most once a second each, outside the batch's transaction:
   * a write inside one would keep the user's credential list out of its cache for a second.
   */
  private async markUsed(finishes: Finish[]): Promise<void> {
    const now = Date.now();
    for (const f of finishes) {
      const { userId, credentialId } = f.usage;
      if (!credentialId || now - (this.marked.get(credentialId) ?? 0) < MARK_USED_INTERVAL_MS) {
        continue;
      }
      this.marked.set(credentialId, now);
      try {
        await markCredentialUsed(this.db, userId, credentialId, now);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'marking an AI key used failed');
      }
    }
    if (this.marked.size > 10_000) {
      for (const [id, at] of this.marked)
        if (now - at >= MARK_USED_INTERVAL_MS) this.marked.delete(id);
    }
  }
}
