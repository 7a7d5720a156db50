// SPDX-License-Identifier: MIT
// Test-only: reads a WARC written by patrol export with warcio (npm) and checks every record:
// WARC/1.1, its type, the WARC-Block-Digest over the block as warcio reads it raw, and for
// request and response records the WARC-Payload-Digest over the payload after warcio's own
// parse of the HTTP headers; metadata records must be JSON listing hits of their URL and refer
// to a response written before them; resource records must be PNG screenshots referring to a
// response. Prints one JSON summary line; exits 1 on any problem.
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { WARCParser } from "warcio";

const ABC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
function base32(buf) {
  let bits = 0, value = 0, out = "";
  for (const b of buf) {
    value = (value << 8) | b; bits += 8;
    while (bits >= 5) { out += ABC[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ABC[(value << (5 - bits)) & 31];
  while (out.length % 8) out += "=";
  return out;
}
const sha256 = (b) => "sha256:" + base32(createHash("sha256").update(b).digest());

const file = process.argv[2];
const problems = [];
const counts = {};
const blocks = [];
// Pass 1: raw blocks (no HTTP parse): the block digest.
for await (const r of new WARCParser(createReadStream(file), { parseHttp: false })) {
  const h = r.warcHeaders;
  const type = r.warcType;
  counts[type] = (counts[type] || 0) + 1;
  if (h.protocol !== "WARC/1.1") problems.push(`${type}: protocol ${h.protocol}`);
  const block = await r.readFully(false);
  const want = h.headers.get("WARC-Block-Digest");
  if (sha256(block) !== want) problems.push(`${type} ${h.headers.get("WARC-Record-ID")}: block digest`);
  if (Number(h.headers.get("Content-Length")) !== block.length) problems.push(`${type}: length`);
  blocks.push({ type, id: h.headers.get("WARC-Record-ID"), uri: h.headers.get("WARC-Target-URI"),
    refers: h.headers.get("WARC-Refers-To"), block });
}
// Pass 2: warcio parses the HTTP headers; the payload digest covers what follows them.
let http = 0;
for await (const r of new WARCParser(createReadStream(file))) {
  const want = r.warcHeaders.headers.get("WARC-Payload-Digest");
  if (r.warcType !== "request" && r.warcType !== "response") continue;
  if (!r.httpHeaders) { problems.push(`${r.warcType}: warcio found no HTTP headers`); continue; }
  const payload = await r.readFully(false);
  if (sha256(payload) !== want) problems.push(`${r.warcType} ${r.warcTargetURI}: payload digest`);
  if (r.warcType === "response" && !(r.httpHeaders.statusCode >= 100)) problems.push("status");
  http++;
}
const responses = new Set(blocks.filter((b) => b.type === "response").map((b) => b.id));
let hits = 0;
for (const b of blocks.filter((b) => b.type === "metadata")) {
  let m;
  try { m = JSON.parse(Buffer.from(b.block).toString("utf8")); } catch { problems.push("metadata: not JSON"); continue; }
  if (m.url !== b.uri || !Array.isArray(m.hits) || !m.hits.length) problems.push("metadata: shape");
  for (const h of m.hits || []) if (h.url !== b.uri) problems.push(`metadata: hit ${h.id} of another page`);
  if (b.refers && !responses.has(b.refers)) problems.push("metadata: refers to an unknown response");
  hits += (m.hits || []).length;
}
// Screenshots (patrol snapshot): resource records holding a PNG, each naming the response it
// was rendered from, written before it.
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
for (const b of blocks.filter((b) => b.type === "resource")) {
  if (!Buffer.from(b.block).subarray(0, 8).equals(PNG)) problems.push("resource: not a PNG");
  if (!b.uri || !b.uri.startsWith("screenshot:")) problems.push("resource: target URI");
  if (!responses.has(b.refers)) problems.push("resource: refers to an unknown response");
}
if (blocks[0]?.type !== "warcinfo") problems.push("first record is not warcinfo");
console.log(JSON.stringify({ records: blocks.length, counts, http, hits, problems }));
process.exit(problems.length ? 1 : 0);
