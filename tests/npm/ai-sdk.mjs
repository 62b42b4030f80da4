// The Vercel AI SDK's default OpenAI provider (the Responses API) against claw-gateway.
// usage: node ai-sdk.mjs BASE_URL PROMPT [stream]   (the token in OPENAI_API_KEY)
// Prints the answer's text, "finish REASON" and "usage IN OUT".
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';

const [baseURL, prompt, mode] = process.argv.slice(2);
const openai = createOpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY });
const req = { model: openai('claw'), system: 'be brief', prompt, maxRetries: 0 };

try {
	let text, finishReason, usage;
	if (mode === 'stream') {
		let failed = null;
		const r = streamText({ ...req, onError: ({ error }) => { failed = error; } });
		text = '';
		for await (const t of r.textStream)
			text += t;
		if (failed)
			throw failed;
		finishReason = await r.finishReason;
		usage = await r.usage;
	} else
		({ text, finishReason, usage } = await generateText(req));
	console.log(text);
	console.log(`finish ${finishReason}`);
	console.log(`usage ${usage.inputTokens} ${usage.outputTokens}`);
} catch (e) {
	console.error(`ai-sdk: ${e.statusCode || ''} ${e.message}`);
	process.exit(1);
}
