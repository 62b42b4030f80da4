#!/usr/bin/env node
// jwt.js: HS256 tokens as npm's jsonwebtoken makes and checks them, so the tests
// can hold claw's lib/jwt.c to what a Node client of claw-gateway would do.
//   node jwt.js sign SECRET JSON_PAYLOAD [expiresIn]   prints a token
//   node jwt.js verify SECRET TOKEN                   prints the payload as JSON
// A refusal prints jsonwebtoken's message on stderr and exits 1; a misuse exits 2.
'use strict';

const jwt = require('jsonwebtoken');

function usage() {
	process.stderr.write('usage: node jwt.js sign SECRET JSON_PAYLOAD [expiresIn]\n' +
	    '       node jwt.js verify SECRET TOKEN\n');
	process.exit(2);
}

function sign(secret, text, expiresIn) {
	let payload;
	try {
		payload = JSON.parse(text);
	} catch (e) {
		process.stderr.write(`jwt.js: payload: ${e.message}\n`);
		process.exit(2);
	}
	const opts = { algorithm: 'HS256' };
	if (expiresIn !== undefined)
		// A number of seconds, or a span such as "1h" as the ms package reads it.
		opts.expiresIn = /^[0-9]+$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
	try {
		process.stdout.write(jwt.sign(payload, secret, opts) + '\n');
	} catch (e) {
		process.stderr.write(`jwt.js: sign: ${e.message}\n`);
		process.exit(2);
	}
}

function verify(secret, token) {
	try {
		const payload = jwt.verify(token, secret, { algorithms: ['HS256'] });
		process.stdout.write(JSON.stringify(payload) + '\n');
	} catch (e) {
		process.stderr.write(e.message + '\n');
		process.exit(1);
	}
}

const [verb, secret, arg, extra] = process.argv.slice(2);
if (verb === 'sign' && arg !== undefined && process.argv.length <= 6)
	sign(secret, arg, extra);
else if (verb === 'verify' && arg !== undefined && extra === undefined)
	verify(secret, arg);
else
	usage();
