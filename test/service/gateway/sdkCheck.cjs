// Runs INSIDE a workspace container (node bind-mounted read-only): the real SDK clients built from
// nothing but the environment the injection gave the shell, one plain and one streamed call each.
// Prints one JSON line with the texts each call returned, or the error of each.
const OpenAI = require('openai').default;
const Anthropic = require('@anthropic-ai/sdk').default;
const { GoogleGenAI } = require('@google/genai');

async function attempt(fn) {
  try {
    return { ok: await fn() };
  } catch (e) {
    return { error: String((e && e.message) || e).slice(0, 300) };
  }
}

async function main() {
  const out = {};
  const messages = [{ role: 'user', content: 'hi' }];
  out.openaiPlain = await attempt(async () => {
    const r = await new OpenAI({ maxRetries: 0 }).chat.completions.create({
      model: 'gpt-5-mini',
      messages,
    });
    return r.choices[0].message.content;
  });
  out.openaiStream = await attempt(async () => {
    const s = await new OpenAI({ maxRetries: 0 }).chat.completions.create({
      model: 'gpt-5-mini',
      messages,
      stream: true,
    });
    let t = '';
    for await (const c of s) t += (c.choices[0] && c.choices[0].delta.content) || '';
    return t;
  });
  out.anthropicPlain = await attempt(async () => {
    const r = await new Anthropic({ maxRetries: 0 }).messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages,
    });
    return r.content[0].text;
  });
  out.anthropicStream = await attempt(async () => {
    const s = new Anthropic({ maxRetries: 0 }).messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages,
    });
    let t = '';
    s.on('text', (x) => (t += x));
    await s.finalMessage();
    return t;
  });
  out.googlePlain = await attempt(async () => {
    const r = await new GoogleGenAI({}).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'hi',
    });
    return r.text;
  });
  out.googleStream = await attempt(async () => {
    const s = await new GoogleGenAI({}).models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'hi',
    });
    let t = '';
    for await (const c of s) t += c.text || '';
    return t;
  });
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e) + '\n');
  process.exit(1);
});
