#!/usr/bin/env node
//
// latency_proxy.js — a TCP proxy that adds a fixed delay each way, for
// benchmarks against S3 as it is across a network (TLS passes through).
//
//   node latency_proxy.js TARGET_HOST:PORT ONE_WAY_MS
//
// Listens on a free loopback port and prints "listening on 127.0.0.1:PORT".
// Every chunk is delivered ONE_WAY_MS after it arrived, in order, so a
// request and its reply cost 2 × ONE_WAY_MS more: the round-trip time.
'use strict';

const net = require('net');

const [target, delayArg] = process.argv.slice(2);
if (!target || !/^[^:]+:\d+$/.test(target) || !/^\d+$/.test(delayArg || '')) {
	process.stderr.write('usage: latency_proxy.js TARGET_HOST:PORT ONE_WAY_MS\n');
	process.exit(2);
}
const [host, port] = target.split(':');
const delay = Number(delayArg);

// from → to, each chunk delay ms late; an end follows the last chunk
function pipeLate(from, to) {
	from.on('data', (chunk) => setTimeout(() => to.write(chunk), delay));
	from.on('end', () => setTimeout(() => to.end(), delay));
	from.on('error', () => to.destroy());
}

const server = net.createServer((client) => {
	const upstream = net.connect(Number(port), host);
	// A network only delays: without these, Nagle in the proxy holds a
	// second small write until the first is acknowledged, and the far end's
	// delayed ACK makes that 40 ms more than the RTT asked for.
	client.setNoDelay(true);
	upstream.setNoDelay(true);
	// the connection itself takes a round trip too
	client.pause();
	upstream.on('connect', () => setTimeout(() => client.resume(), 2 * delay));
	pipeLate(client, upstream);
	pipeLate(upstream, client);
	upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
	process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`);
});
