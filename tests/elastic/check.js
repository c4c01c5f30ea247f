// SPDX-License-Identifier: GPL-2.0
//
// Structural check of the Elasticsearch assets (userspace/elastic/): no
// Elasticsearch runs here, so what can be checked without one is checked.
//
//   node check.js ECS_MODULE_DIR ASSET_DIR [VM_LOG]
//
//  - every file parses (JSON, NDJSON; filebeat.yml by what it must name);
//  - the index template maps every ECS field with ECS's own type, and only
//    c2watch.* besides; its patterns cover the data streams Filebeat writes
//    and the Kibana rule reads; its default pipeline is the one shipped;
//  - the ingest pipeline uses known processors on ECS fields;
//  - the Kibana rule names only ECS fields, and maps the 21/47/73/99
//    severity scale c2watchd writes;
//  - with VM_LOG (c2watchd's documents, "ECSDOC" lines): every field a
//    document holds is mapped, so the template cannot fall behind.
// KTAP on stdout; exit 1 on any problem.
'use strict';

const fs = require('fs');
const path = require('path');

const [modDir, dir, vmLog] = process.argv.slice(2);
const { EcsFlat, EcsVersion } = require(path.resolve(modDir, '@elastic/ecs'));
let n = 0, failed = 0;

function ok(cond, what, detail) {
	n++;
	if (!cond)
		failed++;
	console.log(`${cond ? 'ok' : 'not ok'} ${n} elastic: ${what}`);
	if (!cond && detail)
		for (const d of [].concat(detail).slice(0, 20))
			console.log(`#   ${d}`);
}

function read(name) {
	return fs.readFileSync(path.join(dir, name), 'utf8');
}

function parse(name) {
	try {
		return JSON.parse(read(name));
	} catch (e) {
		ok(false, `${name} is valid JSON`, e.message);
		return null;
	}
}

// Dotted leaf names and their mappings from a "properties" tree.
function mapped(props, prefix, out) {
	for (const [k, v] of Object.entries(props)) {
		const name = prefix ? `${prefix}.${k}` : k;
		if (v.properties)
			mapped(v.properties, name, out);
		else
			out.set(name, v);
	}
	return out;
}

// "logs-c2watch.alerts-*" matches "logs-c2watch.alerts-default".
function globMatch(pat, s) {
	const re = new RegExp('^' + pat.split('*').map(
		p => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
	return re.test(s);
}

console.log(`# ECS ${EcsVersion}`);
const tpl = parse('index-template.json');
const pipe = parse('ingest-pipeline.json');
const fb = read('filebeat.yml');
let rules = [];
try {
	rules = read('kibana-rules.ndjson').split('\n').filter(l => l.trim())
		.map(l => JSON.parse(l));
	ok(rules.length > 0, 'kibana-rules.ndjson: rules, valid NDJSON');
} catch (e) {
	ok(false, 'kibana-rules.ndjson is valid NDJSON', e.message);
}

// The index template.
const fields = tpl ? mapped(tpl.template.mappings.properties, '', new Map()) :
	new Map();
const typeBad = [];
for (const [name, m] of fields) {
	const e = EcsFlat[name];
	if (e && e.type !== m.type)
		typeBad.push(`${name}: mapped ${m.type}, ECS says ${e.type}`);
	if (!e && !name.startsWith('c2watch.'))
		typeBad.push(`${name}: neither ECS nor c2watch.*`);
}
ok(fields.size > 50 && typeBad.length === 0,
	`index template maps ${fields.size} fields, ECS ones with ECS's types`,
	typeBad);
for (const f of ['source.ip', 'destination.ip', 'host.ip'])
	ok(fields.get(f) && fields.get(f).type === 'ip', `${f} is mapped as ip`);
ok(tpl && tpl.data_stream && typeof tpl.data_stream === 'object',
	'index template makes data streams');

// Filebeat writes where the template applies, through the pipeline.
const indices = [...fb.matchAll(/index:\s*"([^"]+)"/g)].map(m => m[1]);
const pats = tpl ? tpl.index_patterns : [];
ok(indices.length >= 2 && indices.every(i => pats.some(p => globMatch(p, i))),
	`filebeat writes ${indices.join(', ')}, which the template covers`);
ok(/paths:\s*\n\s*-\s*\/var\/log\/c2watch\/alerts\.ndjson/.test(fb) &&
   /ndjson:/.test(fb), 'filebeat reads c2watchd\'s default output as NDJSON');

// The ingest pipeline.
const KNOWN = new Set(['set', 'rename', 'remove', 'date', 'append',
	'lowercase', 'convert', 'script', 'fingerprint', 'community_id']);
const procs = pipe ? pipe.processors.concat(pipe.on_failure || []) : [];
const procBad = [];
for (const p of procs) {
	const [kind, body] = Object.entries(p)[0];
	if (!KNOWN.has(kind))
		procBad.push(`unknown processor ${kind}`);
	if (body.field && !EcsFlat[body.field] && !body.field.startsWith('c2watch.'))
		procBad.push(`${kind} on ${body.field}: not an ECS field`);
}
ok(pipe && procs.length && procBad.length === 0,
	'ingest pipeline: known processors on ECS fields', procBad);
ok(pipe && pipe.processors.some(p => p.set && p.set.field === 'event.ingested'),
	'ingest pipeline sets event.ingested');
ok(tpl && tpl.template.settings['index.default_pipeline'] === 'logs-c2watch',
	'the template\'s default pipeline is the one the README loads');

// The Kibana rule.
for (const r of rules) {
	const named = [r.timestamp_override, r.rule_name_override]
		.concat((r.severity_mapping || []).map(m => m.field))
		.concat((r.risk_score_mapping || []).map(m => m.field))
		.concat([...r.query.matchAll(/([a-z_.]+)\s*:/g)].map(m => m[1]))
		.filter(Boolean);
	const bad = named.filter(f => !EcsFlat[f]);
	ok(bad.length === 0 && r.rule_id && r.name && r.type,
		`kibana rule ${r.rule_id}: names only ECS fields`, bad);
	ok((r.index || []).every(i => pats.some(p => globMatch(p,
		i.replace(/\*$/, 'default')))),
		`kibana rule ${r.rule_id}: reads what the template maps`);
	if (r.type === 'query') {
		const sev = new Map((r.severity_mapping || []).map(m => [m.value, m.severity]));
		ok(sev.get('21') === 'low' && sev.get('47') === 'medium' &&
		   sev.get('73') === 'high' && sev.get('99') === 'critical',
			`kibana rule ${r.rule_id}: the 21/47/73/99 severity scale`);
		ok(r.index.every(i => i.startsWith('logs-c2watch.alerts-')),
			`kibana rule ${r.rule_id}: reads the alerts data stream`);
	}
}

// Fleet-wide new terms: the rule c2watch ships, run by Kibana on the
// events data stream (c2watchd --events), so that it cannot drift.
const shipped = JSON.parse(fs.readFileSync(path.join(dir, '..', 'rules',
	'suspicious_network_unknown_executable.ndjson'), 'utf8').split('\n')[0]);
const fleet = rules.filter(r => r.type === 'new_terms');
ok(fleet.length === 1 && fleet[0].query === shipped.query &&
   JSON.stringify(fleet[0].new_terms_fields) ===
   JSON.stringify(shipped.new_terms_fields) &&
   fleet[0].history_window_start === shipped.history_window_start &&
   JSON.stringify(fleet[0].threat) === JSON.stringify(shipped.threat),
	'kibana fleet rule: the shipped rule\'s query, new terms and threat');
ok(fleet.length === 1 && fleet[0].index.length === 1 &&
   fleet[0].index[0] === 'logs-c2watch.events-*' &&
   fleet[0].timestamp_override === 'event.ingested',
	'kibana fleet rule: reads the events data stream by event.ingested');

// Every field c2watchd wrote in the VM run is mapped.
if (vmLog) {
	const missing = new Set();
	let docs = 0;
	const walk = (o, p) => {
		for (const [k, v] of Object.entries(o)) {
			const name = p ? `${p}.${k}` : k;
			if (v !== null && typeof v === 'object' && !Array.isArray(v))
				walk(v, name);
			else if (!fields.has(name) && name !== '@timestamp')
				missing.add(name);
		}
	};
	for (const l of fs.readFileSync(vmLog, 'utf8').split('\n')) {
		const i = l.indexOf('{');
		if (!l.startsWith('ECSDOC ') || i < 0)
			continue;
		walk(JSON.parse(l.slice(i)), '');
		docs++;
	}
	ok(docs > 0 && missing.size === 0,
		`every field of c2watchd's ${docs} documents is mapped`,
		[...missing]);
}
console.log(`# elastic: ${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
