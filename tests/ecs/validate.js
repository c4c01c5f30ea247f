// SPDX-License-Identifier: GPL-2.0
//
// Check c2watchd's documents against Elastic's own table of ECS fields (the
// npm package @elastic/ecs, its EcsFlat): every field name must be an ECS
// field or sit under c2watch.*, every value must have the field's type,
// fields ECS expects as arrays must be arrays, and fields with allowed
// values (event.kind, event.category, event.type, ...) must use them.
//
//   node validate.js ECS_MODULE_DIR NDJSON [REQUIRED_ACTION...]
//
// Lines that are not JSON objects are ignored (the file may be a VM log);
// with REQUIRED_ACTION given, a document with each event.action must be
// among the checked ones, so that the check cannot pass on nothing. Prints
// KTAP: one line per document kind, then a summary; exit 1 on any problem.
'use strict';

const fs = require('fs');
const path = require('path');

const [modDir, file, ...required] = process.argv.slice(2);
const { EcsFlat, EcsVersion } = require(path.resolve(modDir, '@elastic/ecs'));

const CUSTOM = 'c2watch.';
const INTEGER = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const NUMBER = new Set(['float', 'double', 'scaled_float', 'half_float']);
const STRING = new Set(['keyword', 'wildcard', 'constant_keyword', 'text',
	'match_only_text']);

function isIp(s) {
	return /^(\d{1,3}\.){3}\d{1,3}$/.test(s) ||
		(s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));
}

function typeProblem(type, v) {
	if (STRING.has(type))
		return typeof v === 'string' ? null : 'a string';
	if (INTEGER.has(type))
		return Number.isInteger(v) ? null : 'an integer';
	if (NUMBER.has(type))
		return typeof v === 'number' ? null : 'a number';
	if (type === 'boolean')
		return typeof v === 'boolean' ? null : 'a boolean';
	if (type === 'date')
		return typeof v === 'string' && !isNaN(Date.parse(v)) ?
			null : 'an ISO 8601 date';
	if (type === 'ip')
		return typeof v === 'string' && isIp(v) ? null : 'an IP address';
	if (type === 'object' || type === 'flattened' || type === 'nested')
		return v !== null && typeof v === 'object' ? null : 'an object';
	return null;
}

// Leaves of a document as dotted names; arrays of scalars are leaves.
function leaves(obj, prefix, out) {
	for (const [k, v] of Object.entries(obj)) {
		const name = prefix ? `${prefix}.${k}` : k;
		if (v !== null && typeof v === 'object' && !Array.isArray(v))
			leaves(v, name, out);
		else
			out.push([name, v]);
	}
	return out;
}

function check(doc) {
	const problems = [];
	for (const [name, v] of leaves(doc, '', [])) {
		if (name.startsWith(CUSTOM))
			continue;
		const f = EcsFlat[name];
		if (!f) {
			problems.push(`${name}: not an ECS field (custom fields go under ${CUSTOM}*)`);
			continue;
		}
		const isArray = Array.isArray(v);
		if ((f.normalize || []).includes('array') && !isArray)
			problems.push(`${name}: ECS expects an array`);
		for (const x of isArray ? v : [v]) {
			const want = typeProblem(f.type, x);
			if (want)
				problems.push(`${name}: ${JSON.stringify(x)} is not ${want} (${f.type})`);
			if (f.allowed_values && typeof x === 'string' &&
			    !f.allowed_values.some(a => a.name === x))
				problems.push(`${name}: "${x}" is not an allowed value`);
		}
	}
	return problems;
}

const kinds = new Map();	// "kind/action" -> [documents, problems]
let n = 0, failed = 0;
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
	const t = line.replace(/^ECSDOC /, '');
	if (!t.startsWith('{'))
		continue;
	let doc;
	try {
		doc = JSON.parse(t);
	} catch (e) {
		continue;
	}
	const ev = doc.event || {};
	const key = `${ev.kind}/${ev.action}`;
	const k = kinds.get(key) || { docs: 0, problems: new Set() };
	k.docs++;
	for (const p of check(doc))
		k.problems.add(p);
	kinds.set(key, k);
}

console.log(`# ECS ${EcsVersion}: ${EcsFlat ? Object.keys(EcsFlat).length : 0} fields`);
for (const [key, k] of [...kinds].sort()) {
	n++;
	if (k.problems.size) {
		failed++;
		console.log(`not ok ${n} ECS: ${k.docs} ${key} document(s)`);
		for (const p of k.problems)
			console.log(`#   ${p}`);
	} else {
		console.log(`ok ${n} ECS: ${k.docs} ${key} document(s), every field valid`);
	}
}
for (const action of required) {
	n++;
	// "kind/action", or an action of any kind.
	if ([...kinds.keys()].some(k => action.includes('/') ? k === action :
				   k.endsWith(`/${action}`))) {
		console.log(`ok ${n} ECS: a ${action} document was checked`);
	} else {
		failed++;
		console.log(`not ok ${n} ECS: no ${action} document to check`);
	}
}
console.log(`# ecs: ${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
