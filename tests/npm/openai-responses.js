// The official OpenAI client's Responses API against claw-gateway's /v1/responses.
// usage: node openai-responses.js BASE_URL PROMPT [stream]   (the token in OPENAI_API_KEY)
// Prints the answer's text, "usage IN OUT", and when streamed the last event's status.
'use strict';
const OpenAI = require('openai');

async function main() {
	const [baseURL, prompt, mode] = process.argv.slice(2);
	const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY, maxRetries: 0, timeout: 20000 });
	const req = { model: 'claw', instructions: 'be brief', input: [{ role: 'user', content: prompt }] };
	if (mode === 'stream') {
		const stream = await client.responses.create({ ...req, stream: true });
		let text = '', done = null;
		for await (const ev of stream) {
			if (ev.type === 'response.output_text.delta')
				text += ev.delta;
			if (ev.type === 'response.completed')
				done = ev.response;
		}
		if (!done || done.output_text !== undefined && done.output_text !== text)
			throw new Error('no response.completed');
		console.log(text);
		console.log(`usage ${done.usage.input_tokens} ${done.usage.output_tokens}`);
		console.log(done.status);
	} else {
		const r = await client.responses.create(req);
		console.log(r.output_text);
		console.log(`usage ${r.usage.input_tokens} ${r.usage.output_tokens}`);
	}
}

main().catch((e) => {
	console.error(`openai-responses: ${e.status || ''} ${e.message}`);
	process.exit(1);
});
