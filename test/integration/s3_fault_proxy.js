#!/usr/bin/env node
//
// s3_fault_proxy.js — an HTTP proxy in front of an S3 server (s3rver) that
// answers the first N requests with HTTP 500 and an S3 XML error document,
// then forwards everything. Used by t_archive_s3.sh to test retries.
//
//   node s3_fault_proxy.js TARGET_HOST:PORT N [METHOD]
//
// With METHOD (e.g. PUT) only requests of that method count and fail; the
// others are forwarded from the start. The proxy listens on a free loopback
// port and prints "listening on 127.0.0.1:PORT" once it does. Every failed
// request is logged as "fault K/N METHOD URL", every forwarded one as
// "forward METHOD URL STATUS", one line each on standard output.
'use strict';

const http = require('http');

const [target, nArg, method] = process.argv.slice(2);
if (!target || !/^[^:]+:\d+$/.test(target) || !/^\d+$/.test(nArg || '')) {
	process.stderr.write('usage: s3_fault_proxy.js TARGET_HOST:PORT N [METHOD]\n');
	process.exit(2);
}
const [targetHost, targetPort] = target.split(':');
const faults = Number(nArg);
let failed = 0;

const errorBody = '<?xml version="1.0" encoding="UTF-8"?>\n' +
	'<Error><Code>InternalError</Code>' +
	'<Message>We encountered an internal error. Please try again.</Message>' +
	'<RequestId>s3-fault-proxy</RequestId></Error>';

function log(line) {
	process.stdout.write(line + '\n');
}

const server = http.createServer((req, res) => {
	if (failed < faults && (!method || req.method === method)) {
		failed++;
		log(`fault ${failed}/${faults} ${req.method} ${req.url}`);
		// read the whole request first, so the client is not cut off mid-body
		req.resume();
		req.on('end', () => {
			res.writeHead(500, {
				'Content-Type': 'application/xml',
				'Content-Length': Buffer.byteLength(errorBody),
			});
			res.end(errorBody);
		});
		return;
	}
	const headers = { ...req.headers };
	delete headers.expect;     // the proxy has answered 100-continue itself
	const up = http.request({
		host: targetHost,
		port: Number(targetPort),
		method: req.method,
		path: req.url,
		headers,
	}, (upRes) => {
		log(`forward ${req.method} ${req.url} ${upRes.statusCode}`);
		res.writeHead(upRes.statusCode, upRes.headers);
		upRes.pipe(res);
	});
	up.on('error', (e) => {
		log(`forward ${req.method} ${req.url} error ${e.message}`);
		if (!res.headersSent)
			res.writeHead(502, { 'Content-Type': 'text/plain' });
		res.end();
	});
	req.pipe(up);
});

server.listen(0, '127.0.0.1', () => {
	log(`listening on 127.0.0.1:${server.address().port}`);
});

process.on('SIGTERM', () => {
	server.close();
	process.exit(0);
});
