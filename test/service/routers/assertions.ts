// Assertions shared by the router and HTTP tests: a tRPC call that must fail with a given code.
import assert from 'node:assert/strict';
import { TRPCClientError } from '@trpc/client';

export interface TrpcFailure {
  code: string;
  httpStatus: number;
  message: string;
}

/** Awaits a call that must fail; returns its code, status and message for further checks. */
export async function trpcFailure(call: Promise<unknown>): Promise<TrpcFailure> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof TRPCClientError, `expected a TRPCClientError, got ${String(err)}`);
    const data = err.data as { code?: string; httpStatus?: number; stack?: string } | undefined;
    // Answers never carry a stack.
    assert.equal(data?.stack, undefined);
    return { code: data?.code ?? '', httpStatus: data?.httpStatus ?? 0, message: err.message };
  }
  assert.fail('the call succeeded but should have failed');
}

export async function assertTrpcCode(call: Promise<unknown>, code: string): Promise<TrpcFailure> {
  const failure = await trpcFailure(call);
  assert.equal(failure.code, code, `expected ${code}, got ${failure.code}: ${failure.message}`);
  return failure;
}
