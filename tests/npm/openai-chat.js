// The official OpenAI client against claw-gateway's /v1/chat/completions.
// usage: node openai-chat.js BASE_URL PROMPT [stream]   (the token in OPENAI_API_KEY)
// Prints the answer's text, then a line "usage IN OUT" when the answer carried usage.
'use strict';
const OpenAI = require('openai');

async function main() {
	const [baseURL, prompt, mode] = process.argv.slice(2);
	const client = new OpenAI({ baseURL, apiKey: process.env.OPENAI_API_KEY, maxRetries: 0, timeout: 20000 });
	const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: prompt }];
	if (mode === 'stream') {
		const stream = await client.chat.completions.create({
			model: 'claw', messages, stream: true, stream_options: { include_usage: true } });
		let text = '', usage = null, finish = null;
		for await (const chunk of stream) {
			if (chunk.object !== 'chat.completion.chunk')
				throw new Error('not a chunk: ' + JSON.stringify(chunk));
			if (chunk.usage)
				usage = chunk.usage;
			for (const c of chunk.choices) {
				text += c.delta.content || '';
				finish = c.finish_reason || finish;
			}
		}
		console.log(text);
		console.log('finish ' + finish);
		if (usage)
			console.log(`usage ${usage.prompt_tokens} ${usage.completion_tokens}`);
	} else {
		const r = await client.chat.completions.create({ model: 'claw', messages });
		console.log(r.choices[0].message.content);
		console.log('finish ' + r.choices[0].finish_reason);
		console.log(`usage ${r.usage.prompt_tokens} ${r.usage.completion_tokens}`);
	}
}

main().catch((e) => {
	console.error(`openai-chat: ${e.status || ''} ${e.message}`);
	process.exit(1);
});
