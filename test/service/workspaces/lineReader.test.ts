// The reader of the injection exec's output (unit tier): lines cut across chunks, a last line
// without LF, the end, and output past the limit, which fails instead of growing without bound.
import assert from 'node:assert/strict';
import { LineReader } from '../../../service/workspaces/docker';
import { tierSuite } from '../../support/tiers';

function feed(reader: LineReader, chunk: string): Promise<void> {
  return new Promise((resolve, reject) =>
    reader.sink.write(Buffer.from(chunk, 'utf8'), (e) => (e ? reject(e) : resolve())),
  );
}

tierSuite('unit', 'the line reader of the injection exec', () => {
  it('hands out lines cut across chunks, utf-8 split mid-character included, then null', async () => {
    const r = new LineReader(1024);
    const first = r.next();
    await feed(r, 'passwd coder:x:1000:1000:Zoë');
    await feed(r, Buffer.from('\n').toString() + 'stat 81a4 3');
    assert.equal(await first, 'passwd coder:x:1000:1000:Zoë');
    const bytes = Buffer.from('ë\nlast', 'utf8');
    await new Promise((ok) => r.sink.write(bytes.subarray(0, 1), ok));
    await new Promise((ok) => r.sink.write(bytes.subarray(1), ok));
    assert.equal(await r.next(), 'stat 81a4 3ë');
    r.end();
    assert.equal(await r.next(), 'last');
    assert.equal(await r.next(), null);
  });

  it('fails once the output passes its limit, and a waiting reader learns it', async () => {
    const r = new LineReader(16);
    const waiting = r.next();
    await feed(r, 'x'.repeat(17));
    await assert.rejects(waiting, /larger than 16 bytes/);
    await assert.rejects(r.next(), /larger than 16 bytes/);
  });

  it('refuses a second reader while one waits', async () => {
    const r = new LineReader(64);
    const one = r.next();
    await assert.rejects(r.next(), /one line at a time/);
    r.end();
    assert.equal(await one, null);
  });
});
