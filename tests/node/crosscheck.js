// Cross-check peer: the official Aerospike Node.js client against our test server (or a real server).
//
//   node crosscheck.js write  --host H:P --set S --manifest FILE
//     Writes records of every particle type with every key type (sendKey on and off), several
//     generations and TTLs; reads each back with get, scans the set, runs info commands, checks all
//     of it here, and writes a manifest of what was written (canonical form, see below) for our C++
//     client (crosscheck_reader) to check independently.
//   node crosscheck.js verify --host H:P --manifest FILE
//     The reverse direction: reads a manifest written by crosscheck_reader (our client wrote the
//     records) and checks every record with this client's get and scan.
//
// Canonical value form, shared with crosscheck_reader.cc (exact, type-preserving JSON):
//   {"t":"int","v":"<decimal>"}  {"t":"float","hex":"<8 bytes BE>"}  {"t":"str","v":"..."}
//   {"t":"bytes","hex":"..."}     {"t":"bool","v":true}               {"t":"nil"}
//   {"t":"geojson","v":"<json text>"}  {"t":"hll","hex":"..."}
//   {"t":"list","order":"unordered|ordered","v":[...]}
//   {"t":"map","order":"unordered|key|key-value","v":[[k,v],...]}
// Keys: {"t":"int","v":"..."} | {"t":"str","v":"..."} | {"t":"bytes","hex":"..."}.
//
// Exit codes: 0 all checks passed, 1 a check failed (every mismatch is printed), 2 usage or
// connection error, 77 the aerospike binding cannot be loaded (the CTest driver decides skip/fail).
'use strict'

let Aerospike
try {
  Aerospike = require('aerospike')
} catch (err) {
  console.error(`crosscheck.js: cannot load the aerospike Node.js client: ${err.message}`)
  process.exit(77)
}
const fs = require('fs')
const { Key, Double, GeoJSON, maps, lists, hll, HyperLogLog } = Aerospike

// ---------------------------------------------------------------- arguments
function parseArgs (argv) {
  const out = { mode: argv[0] }
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) usage(`bad argument '${argv[i]}'`)
    out[argv[i].slice(2)] = argv[i + 1]
  }
  if (out.mode !== 'write' && out.mode !== 'verify') usage(`unknown mode '${out.mode}'`)
  if (!out.host || !out.manifest) usage('--host and --manifest are required')
  if (out.mode === 'write' && !out.set) usage('write needs --set')
  return out
}
function usage (why) {
  console.error(`crosscheck.js: ${why}\nusage: node crosscheck.js write --host H:P --set S --manifest FILE\n` +
    '       node crosscheck.js verify --host H:P --manifest FILE')
  process.exit(2)
}

// ---------------------------------------------------------------- failures
const failures = []
function fail (what) { failures.push(what); console.error(`MISMATCH: ${what}`) }
// Known limitations of the Node.js client itself (not of the server or our client), printed once.
const notes = new Set()
// A scanned integer key outside +-2^53 that this client handed back as a (rounded) JS number.
function lossyIntKey (ck, got) {
  if (!ck || ck.t !== 'int' || typeof got !== 'number') return false
  const want = BigInt(ck.v)
  return (want > 2n ** 53n || want < -(2n ** 53n)) && Number(want) === got
}

// ---------------------------------------------------------------- typed test values
// Each helper returns { js: <value given to the Node client>, c: <canonical form> }.
const I = (n) => ({ js: n, c: { t: 'int', v: BigInt(n).toString() } })
function doubleHex (x) { const b = Buffer.alloc(8); b.writeDoubleBE(x); return b.toString('hex') }
// Top-level doubles go through Double so that integral values stay floats.
const F = (x) => ({ js: new Double(x), c: { t: 'float', hex: doubleHex(x) } })
// Inside lists/maps only non-integral numbers are sent as floats by this client.
const FN = (x) => { if (Number.isInteger(x)) throw new Error('FN needs a non-integral number'); return { js: x, c: { t: 'float', hex: doubleHex(x) } } }
const S = (s) => ({ js: s, c: { t: 'str', v: s } })
const B = (buf) => ({ js: buf, c: { t: 'bytes', hex: buf.toString('hex') } })
const BOOL = (v) => ({ js: v, c: { t: 'bool', v } })
const GEO = (obj) => ({ js: new GeoJSON(obj), c: { t: 'geojson', v: JSON.stringify(obj) } })
const L = (items) => ({ js: items.map(i => i.js), c: { t: 'list', order: 'unordered', v: items.map(i => i.c) } })
// A map sent by a plain put: a JS object (string keys) or a Map (other keys). This client sends
// both key-ordered (capture 02-put-get-types, record 09).
function M (entries) {
  const allStrings = entries.every(([k]) => typeof k.js === 'string')
  const js = allStrings ? Object.fromEntries(entries.map(([k, v]) => [k.js, v.js])) : new Map(entries.map(([k, v]) => [k.js, v.js]))
  return { js, c: { t: 'map', order: 'key', v: entries.map(([k, v]) => [k.c, v.c]) } }
}

// ---------------------------------------------------------------- comparing a value read by this client
function bufOf (v) {
  if (Buffer.isBuffer(v)) return v
  if (v instanceof HyperLogLog) return v.value ?? v.buffer ?? v.data
  return null
}
// Returns '' when the value read (v) matches the canonical expectation c, else a description.
function mismatch (c, v, path) {
  const show = (x) => { try { return JSON.stringify(x, (k, y) => typeof y === 'bigint' ? `${y}n` : y) } catch { return String(x) } }
  const bad = () => `${path}: expected ${JSON.stringify(c)}, read ${show(v)} (${typeof v}${v && v.constructor ? ' ' + v.constructor.name : ''})`
  switch (c.t) {
    case 'int':
      if (typeof v === 'bigint') return v === BigInt(c.v) ? '' : bad()
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v) === BigInt(c.v) ? '' : bad()
      return bad()
    case 'float': {
      const x = v instanceof Double ? v.value() : v
      if (typeof x !== 'number') return bad()
      return doubleHex(x) === c.hex ? '' : bad()
    }
    case 'str':
      if (v === c.v) return ''
      // This client reads strings as C strings: cut at the first NUL.
      if (typeof v === 'string' && c.v.includes('\u0000') && v === c.v.slice(0, c.v.indexOf('\u0000'))) {
        notes.add('Node.js client 6.7.1 cuts strings it reads at the first NUL')
        return ''
      }
      return bad()
    case 'bool': return v === c.v ? '' : bad()
    case 'nil': return v === null || v === undefined ? '' : bad()
    case 'bytes': case 'hll': {
      const b = bufOf(v)
      return b && b.toString('hex') === c.hex ? '' : bad()
    }
    case 'geojson': {
      const text = typeof v === 'string' ? v : (v instanceof GeoJSON ? v.toString() : null)
      if (text === null) return bad()
      try { return show(JSON.parse(text)) === show(JSON.parse(c.v)) ? '' : bad() } catch { return bad() }
    }
    case 'list': {
      if (!Array.isArray(v) || v.length !== c.v.length) return bad()
      for (let i = 0; i < c.v.length; i++) {
        const m = mismatch(c.v[i], v[i], `${path}[${i}]`)
        if (m) return m
      }
      return ''
    }
    case 'map': {
      let entries
      if (v instanceof Map) entries = [...v.entries()]
      else if (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)) entries = Object.entries(v)
      else return bad()
      if (entries.length !== c.v.length) return bad()
      for (const [ck, cv] of c.v) {
        // Object keys arrive as strings: match an expected key by its canonical text.
        const found = entries.find(([k]) => mismatch(ck, k, '') === '' || (typeof k === 'string' && ck.t === 'int' && k === ck.v))
        if (!found) return `${path}: key ${JSON.stringify(ck)} missing; read ${show(v)}`
        const m = mismatch(cv, found[1], `${path}{${JSON.stringify(ck.v ?? ck.hex)}}`)
        if (m) return m
      }
      return ''
    }
    default: return `${path}: unknown canonical type ${c.t}`
  }
}

// ---------------------------------------------------------------- keys
function canonicalKey (k) {
  if (typeof k === 'number' || typeof k === 'bigint') return { t: 'int', v: BigInt(k).toString() }
  if (typeof k === 'string') return { t: 'str', v: k }
  if (Buffer.isBuffer(k)) return { t: 'bytes', hex: k.toString('hex') }
  throw new Error(`unsupported key ${k}`)
}
function sameKey (a, b) { return a.t === b.t && a.v === b.v && a.hex === b.hex }
function keyValue (ck) {
  if (ck.t === 'int') { const b = BigInt(ck.v); return (b >= -(2n ** 53n) && b <= 2n ** 53n) ? Number(b) : b }
  if (ck.t === 'str') return ck.v
  if (ck.t === 'bytes') return Buffer.from(ck.hex, 'hex')
  throw new Error(`unsupported canonical key ${JSON.stringify(ck)}`)
}

// ---------------------------------------------------------------- the records written by this client
const SEND = Aerospike.policy.key.SEND
const DIGEST = Aerospike.policy.key.DIGEST
// HLL bytes produced by a real CE 8.1.2.0 server for hll.init(8) + add(['a','b','c'])
// (capture 02-put-get-types, record 13): index bits 8, minhash bits 0, 3 registers set.
// 203 bytes: 11-byte header (byte 1 = index bits) + 2^8 6-bit registers; non-zero bytes at 78, 99, 196.
const HLL_BYTES = (() => { const b = Buffer.alloc(203); b[1] = 8; b[78] = 0x30; b[99] = 0x40; b[196] = 0x80; return b })()

function plan () {
  const P = []
  const add = (key, sendKey, bins, opts = {}) => P.push({ key, sendKey, bins, ...opts })
  add(1, true, {
    i0: I(0), ipos: I(42), ineg: I(-1), imax: I(2n ** 63n - 1n), imin: I(-(2n ** 63n)),
    ibig: I(2n ** 53n + 1n), i8: I(127), i16: I(-32768), i32: I(2147483647)
  })
  add(-7, false, {
    d: F(3.14159), d2: F(2.0), dneg: F(-0.5), dtiny: F(5e-324), dmax: F(1.7976931348623157e308), dinf: F(-Infinity),
    // Node.js client 6.7.1 sends Double(-0) as +0.0 (checked on the wire by our reader).
    dnegzero: { js: new Double(-0), c: F(0).c, note: 'Node.js client 6.7.1 writes Double(-0) as +0.0' }
  })
  add(9007199254740993n, true, { v: I(1) })
  add(-(2n ** 63n), true, { v: I(2) })
  add('str-ü✓😀', true, { s: S('héllo wörld ✓ 😀'), e: S(''), long: S('x'.repeat(5000)),
    // Node.js client 6.7.1 cuts a string at its first NUL when writing (a C string inside).
    nul: { js: 'a\u0000b', c: S('a').c, note: "Node.js client 6.7.1 writes 'a\\0b' as 'a' (cut at the NUL)" } })
  add('nokey-string', false, { b: B(Buffer.from([0x00, 0x01, 0x02, 0xff])), blong: B(Buffer.alloc(3000, 0xa5)) })
  add(Buffer.from([0xde, 0xad, 0xbe, 0xef]), true, { t: BOOL(true), f: BOOL(false) })
  add(Buffer.from('blobkey'), false, {
    l: L([I(1), I(-2), S('two'), FN(3.5), L([I(4), L([I(5), S('x')])]), M([[S('k'), S('v')]]), B(Buffer.from([0xaa])),
      BOOL(true), I(300), I(70000), I(5000000000), I(-(2n ** 63n)), I(2n ** 63n - 1n), S(''), S('ü')]),
    empty: L([])
  })
  add(1000, true, {
    m: M([[S('b'), I(2)], [S('a'), I(1)], [S('nested'), M([[S('c'), L([I(1), I(2)])], [S('d'), S('x')]])]]),
    mint: M([[I(3), S('three')], [I(-1), S('minus one')], [I(100000), L([S('a')])]]),
    memp: M([])
  })
  add('geo', true, {
    pt: GEO({ type: 'Point', coordinates: [103.913, 1.308] }),
    poly: GEO({ type: 'Polygon', coordinates: [[[-122.5, 37.0], [-121.0, 37.0], [-121.0, 38.08], [-122.5, 38.08], [-122.5, 37.0]]] })
  })
  add('hll-put', true, { h: { js: new HyperLogLog(HLL_BYTES), c: { t: 'hll', hex: HLL_BYTES.toString('hex') } } })
  add('ttl-3600', true, { x: I(1) }, { meta: { ttl: 3600 }, expectTtl: 3600 })
  add('ttl-1y', false, { x: I(2) }, { meta: { ttl: 365 * 86400 }, expectTtl: 365 * 86400 })
  add('ttl-never', true, { x: I(3) }, { meta: { ttl: Aerospike.ttl.NEVER_EXPIRE }, expectTtl: -1 })
  add('gen-3', true, { g: I(3) }, { writes: 3 })
  // A 512 KiB bin: replies span many reads (and, in a scan, a large proto).
  add('big', false, { big: B(Buffer.from(Array.from({ length: 512 * 1024 }, (_, i) => (i * 7 + 3) & 0xff))) })
  add('many-bins', true, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`bin_${String(i).padStart(2, '0')}_fifteen`.slice(0, 15), I(i * 1000003)])))
  // Operate-built bins (CDT orders and HLL).
  P.push({
    key: 'cdt-orders',
    sendKey: true,
    ops: () => [
      maps.putItems('om', { z: 26, a: 1, m: 13 }, new Aerospike.MapPolicy({ order: maps.order.KEY_ORDERED })),
      maps.putItems('um', { z: 26, a: 1, m: 13 }, new Aerospike.MapPolicy({ order: maps.order.UNORDERED })),
      lists.setOrder('ol', lists.order.ORDERED),
      lists.appendItems('ol', [3, 1, 2])
    ],
    bins: {
      om: { c: { t: 'map', order: 'key', v: [[S('a').c, I(1).c], [S('m').c, I(13).c], [S('z').c, I(26).c]] } },
      // An unordered map keeps no order: the comparison sorts its entries.
      um: { c: { t: 'map', order: 'unordered', v: [[S('z').c, I(26).c], [S('a').c, I(1).c], [S('m').c, I(13).c]] } },
      ol: { c: { t: 'list', order: 'ordered', v: [I(1).c, I(2).c, I(3).c] } }
    }
  })
  P.push({
    key: 'hll-ops',
    sendKey: true,
    optional: 'HLL operations',
    ops: () => [hll.init('h', 8), hll.add('h', ['a', 'b', 'c'])],
    bins: { h: { c: { t: 'hll', hex: HLL_BYTES.toString('hex') } } }
  })
  // A bulk of plain records so the scan crosses many partitions (and nodes).
  for (let i = 0; i < 300; i++) {
    add(`bulk-${i}`, i % 2 === 0, { n: I(i), s: S(`value-${i}`), d: FN(i + 0.25) })
  }
  return P
}

// ---------------------------------------------------------------- helpers
function scanAll (client, ns, set) {
  return new Promise((resolve, reject) => {
    const recs = []
    const stream = client.scan(ns, set).foreach({ socketTimeout: 30000, totalTimeout: 120000 })
    stream.on('data', r => recs.push(r))
    stream.on('error', reject)
    stream.on('end', () => resolve(recs))
  })
}
// A scan of partitions [begin, begin+count) only.
function scanPartitions (client, ns, set, begin, count) {
  return new Promise((resolve, reject) => {
    const recs = []
    const scan = client.scan(ns, set)
    scan.partitions(begin, count)
    const stream = scan.foreach({ socketTimeout: 30000, totalTimeout: 120000 })
    stream.on('data', r => recs.push(r))
    stream.on('error', reject)
    stream.on('end', () => resolve(recs))
  })
}
function partitionOf (digestHex) { const d = Buffer.from(digestHex, 'hex'); return (d[0] | (d[1] << 8)) & 0x0fff }
// Two partition-range scans (0..2047, 2048..4095) return each record once, in its own half.
async function checkPartitionScans (client, ns, set, byDigest) {
  const seen = new Set()
  for (const [begin, count] of [[0, 2048], [2048, 2048]]) {
    for (const r of await scanPartitions(client, ns, set, begin, count)) {
      const d = r.key.digest.toString('hex')
      const pid = partitionOf(d)
      if (pid < begin || pid >= begin + count) fail(`partition scan ${begin}+${count}: record ${d} of partition ${pid}`)
      if (!byDigest.has(d)) fail(`partition scan ${begin}+${count}: unexpected record ${d}`)
      if (seen.has(d)) fail(`partition scans: record ${d} returned twice`)
      seen.add(d)
    }
  }
  if (seen.size !== byDigest.size) fail(`partition scans returned ${seen.size} records, expected ${byDigest.size}`)
}
// One batch read of every record (plus one missing key) checks the server's batch path.
async function checkBatchRead (client, ns, set, records) {
  const keys = records.map(m => new Key(ns, set, m.key ? keyValue(m.key) : null, m.key ? undefined : Buffer.from(m.digest, 'hex')))
  keys.push(new Key(ns, set, 'no-such-record-in-this-set'))
  const results = await client.batchRead(keys.map(key => ({ key, readAllBins: true })))
  if (results.length !== keys.length) { fail(`batchRead: ${results.length} results for ${keys.length} keys`); return }
  records.forEach((m, i) => {
    const r = results[i]
    const label = `batchRead record ${JSON.stringify(m.key ?? m.digest)}`
    if (r.status !== Aerospike.status.OK) { fail(`${label}: status ${r.status}`); return }
    checkBins(label, m.bins, r.record.bins)
    if (r.record.gen !== m.generation) fail(`${label}: generation ${r.record.gen}, expected ${m.generation}`)
  })
  const last = results[results.length - 1]
  if (last.status !== Aerospike.status.ERR_RECORD_NOT_FOUND) fail(`batchRead of a missing key: status ${last.status}, expected ${Aerospike.status.ERR_RECORD_NOT_FOUND}`)
}
function checkBins (label, expected, bins) {
  const names = Object.keys(bins || {}).sort()
  const want = Object.keys(expected).sort()
  if (JSON.stringify(names) !== JSON.stringify(want)) fail(`${label}: bin names ${JSON.stringify(names)} != expected ${JSON.stringify(want)}`)
  for (const name of want) {
    if (!(name in (bins || {}))) continue
    const m = mismatch(expected[name], bins[name], `${label} bin ${name}`)
    if (m) fail(m)
  }
}
function checkTtl (label, expectTtl, ttl, slack) {
  if (expectTtl === -1) { if (ttl !== -1) fail(`${label}: ttl ${ttl}, expected -1 (never expires)`); return }
  if (!(ttl <= expectTtl && ttl >= expectTtl - slack)) fail(`${label}: ttl ${ttl}, expected ${expectTtl - slack}..${expectTtl}`)
}
async function info (client, cmd) {
  const reply = await client.infoAny(cmd)
  // infoAny returns "cmd\tvalue\n".
  const tab = reply.indexOf('\t')
  return (tab >= 0 ? reply.slice(tab + 1) : reply).replace(/\n$/, '')
}
const nowSec = () => Math.floor(Date.now() / 1000)

// ---------------------------------------------------------------- write mode
async function writeMode (client, args) {
  const ns = args.ns || 'test'
  const set = args.set
  const manifest = { writer: 'nodejs', client: `aerospike ${require('aerospike/package.json').version}`, ns, set, records: [], skipped: [], info: {} }
  const started = nowSec()
  for (const p of plan()) {
    const key = new Key(ns, set, p.key)
    const policy = { key: p.sendKey ? SEND : DIGEST }
    const label = `record ${JSON.stringify(canonicalKey(p.key))}`
    try {
      if (p.ops) {
        await client.operate(key, p.ops(), null, policy)
      } else {
        const bins = Object.fromEntries(Object.entries(p.bins).map(([n, v]) => [n, v.js]))
        for (let w = 0; w < (p.writes || 1); w++) await client.put(key, bins, p.meta || null, policy)
      }
    } catch (err) {
      if (p.optional) {
        manifest.skipped.push(`${p.optional}: server answered ${err.code} ${err.message}`)
        console.log(`skipped ${p.optional}: the server answered ${err.code} (${err.message})`)
        continue
      }
      fail(`${label}: write failed: ${err.code} ${err.message}`)
      continue
    }
    for (const v of Object.values(p.bins)) if (v.note) notes.add(v.note)
    const rec = await client.get(key, { key: SEND })
    const expected = Object.fromEntries(Object.entries(p.bins).map(([n, v]) => [n, v.c]))
    checkBins(label, expected, rec.bins)
    const gen = p.writes || 1
    if (rec.gen !== gen) fail(`${label}: generation ${rec.gen}, expected ${gen}`)
    if (p.expectTtl !== undefined) checkTtl(label, p.expectTtl, rec.ttl, nowSec() - started + 2)
    manifest.records.push({
      key: canonicalKey(p.key),
      send_key: p.sendKey,
      digest: rec.key && rec.key.digest ? rec.key.digest.toString('hex') : null,
      bins: expected,
      generation: rec.gen,
      ttl: rec.ttl,
      ttl_read_at: nowSec()
    })
  }

  // A record written then removed: nobody may see it again.
  {
    const key = new Key(ns, set, 'deleted')
    await client.put(key, { x: 1 }, null, { key: SEND })
    await client.remove(key)
    try { await client.get(key); fail('record "deleted" still readable after remove') } catch (err) {
      if (err.code !== Aerospike.status.ERR_RECORD_NOT_FOUND) fail(`get after remove: ${err.code} ${err.message}`)
    }
    manifest.deleted = [{ key: canonicalKey('deleted') }]
  }
  await checkBatchRead(client, ns, set, manifest.records)

  // Scan the set: every record once, bins as read by get, user keys only where sent.
  const byDigest = new Map(manifest.records.map(r => [r.digest, r]))
  const scanned = await scanAll(client, ns, set)
  if (scanned.length !== manifest.records.length) fail(`scan of ${ns}/${set}: ${scanned.length} records, expected ${manifest.records.length}`)
  const seen = new Set()
  for (const r of scanned) {
    const d = r.key.digest.toString('hex')
    const m = byDigest.get(d)
    if (!m) { fail(`scan: unexpected record digest ${d}`); continue }
    if (seen.has(d)) fail(`scan: record ${d} returned twice`)
    seen.add(d)
    const label = `scan record ${JSON.stringify(m.key)}`
    checkBins(label, m.bins, r.bins)
    if (r.gen !== m.generation) fail(`${label}: generation ${r.gen}, expected ${m.generation}`)
    const hasKey = r.key.key !== undefined && r.key.key !== null
    if (hasKey !== m.send_key) fail(`${label}: scan returned user key ${hasKey}, sendKey was ${m.send_key}`)
    if (hasKey && !sameKey(canonicalKey(r.key.key), m.key)) {
      if (lossyIntKey(m.key, r.key.key)) notes.add('Node.js client 6.7.1 returns scanned integer keys beyond 2^53 as JS numbers (precision lost); our reader checks them exactly')
      else fail(`${label}: scan key ${JSON.stringify(canonicalKey(r.key.key))}`)
    }
    if (r.key.set !== set) fail(`${label}: scan set ${r.key.set}`)
  }
  manifest.scan_count = scanned.length
  await checkPartitionScans(client, ns, set, byDigest)

  // Info commands: the values our client must see the same way.
  const namespaces = await info(client, 'namespaces')
  if (!namespaces.split(';').includes(ns)) fail(`info namespaces '${namespaces}' lacks ${ns}`)
  const build = await info(client, 'build')
  if (!/^\d+\.\d+\.\d+(\.\d+)?/.test(build)) fail(`info build '${build}'`)
  const edition = await info(client, 'edition')
  const nsInfo = await info(client, `namespace/${ns}`)
  if (!/(^|;)objects=\d+/.test(nsInfo)) fail(`info namespace/${ns} has no objects= : '${nsInfo.slice(0, 200)}'`)
  const sets = await info(client, `sets/${ns}/${set}`)
  const objects = /(^|:)objects=(\d+)/.exec(sets)
  if (!objects) fail(`info sets/${ns}/${set} has no objects= : '${sets}'`)
  const replicas = await info(client, 'replicas')
  if (!replicas.includes(`${ns}:`)) fail(`info replicas lacks ${ns}: '${replicas.slice(0, 200)}'`)
  const nodes = []
  for (const row of await client.infoAll('node')) {
    if (row.error) fail(`infoAll node: ${row.error.message}`)
    nodes.push(String(row.info).replace(/^node\t/, '').replace(/\n$/, ''))
  }
  const clientNodes = client.getNodes().map(n => n.name)
  if (JSON.stringify([...nodes].sort()) !== JSON.stringify([...clientNodes].sort())) fail(`node ids from info ${nodes} != client nodes ${clientNodes}`)
  manifest.info = { namespaces: namespaces.split(';'), build, edition, nodes: nodes.sort(), set_objects_total: objects ? Number(objects[2]) : null }
  return manifest
}

// ---------------------------------------------------------------- verify mode (our client wrote)
async function verifyMode (client, args) {
  const manifest = JSON.parse(fs.readFileSync(args.manifest, 'utf8'))
  const { ns, set } = manifest
  const now = nowSec()
  let checked = 0
  for (const m of manifest.records) {
    const label = `record ${JSON.stringify(m.key ?? m.digest)}`
    const key = new Key(ns, set, m.key ? keyValue(m.key) : null, m.key ? undefined : Buffer.from(m.digest, 'hex'))
    let rec
    try {
      rec = await client.get(key)
    } catch (err) { fail(`${label}: get failed: ${err.code} ${err.message}`); continue }
    if (rec.key.digest && rec.key.digest.toString('hex') !== m.digest) fail(`${label}: digest ${rec.key.digest.toString('hex')} != ${m.digest}`)
    checkBins(label, m.bins, rec.bins)
    if (rec.gen !== m.generation) fail(`${label}: generation ${rec.gen}, expected ${m.generation}`)
    if (m.ttl !== undefined) checkTtl(label, m.ttl === -1 ? -1 : m.ttl - Math.max(0, now - m.ttl_read_at), rec.ttl, 3)
    checked++
  }
  const byDigest = new Map(manifest.records.map(r => [r.digest, r]))
  const scanned = await scanAll(client, ns, set)
  if (scanned.length !== manifest.records.length) fail(`scan of ${ns}/${set}: ${scanned.length} records, expected ${manifest.records.length}`)
  for (const r of scanned) {
    const d = r.key.digest.toString('hex')
    const m = byDigest.get(d)
    if (!m) { fail(`scan: unexpected record digest ${d}`); continue }
    const label = `scan record ${JSON.stringify(m.key ?? d)}`
    checkBins(label, m.bins, r.bins)
    const hasKey = r.key.key !== undefined && r.key.key !== null
    if (hasKey !== m.send_key) fail(`${label}: scan returned user key ${hasKey}, expected ${m.send_key}`)
    if (hasKey && !sameKey(canonicalKey(r.key.key), m.key) && !lossyIntKey(m.key, r.key.key)) fail(`${label}: key ${JSON.stringify(canonicalKey(r.key.key))} != ${JSON.stringify(m.key)}`)
  }
  await checkBatchRead(client, ns, set, manifest.records)
  await checkPartitionScans(client, ns, set, byDigest)
  console.log(`verify: ${checked} records read with get and batchRead, ${scanned.length} scanned (whole set and by partition halves)`)
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const m = /^(.*):(\d+)$/.exec(args.host)
  if (!m) usage(`--host must be host:port, got '${args.host}'`)
  let client
  try {
    client = await Aerospike.connect({
      hosts: [{ addr: m[1], port: Number(m[2]) }],
      log: { level: Aerospike.log.OFF },
      policies: { read: { totalTimeout: 10000 }, write: { totalTimeout: 10000 }, info: { timeout: 10000 } }
    })
  } catch (err) {
    console.error(`crosscheck.js: cannot connect to ${args.host}: ${err.code} ${err.message}`)
    process.exit(2)
  }
  try {
    if (args.mode === 'write') {
      const manifest = await writeMode(client, args)
      fs.writeFileSync(args.manifest, JSON.stringify(manifest, null, 1))
      console.log(`write: ${manifest.records.length} records written and checked, manifest ${args.manifest}` +
        (manifest.skipped.length ? `; skipped: ${manifest.skipped.join('; ')}` : ''))
    } else {
      await verifyMode(client, args)
    }
  } finally {
    await client.close()
  }
  for (const n of notes) console.log(`note: ${n}`)
  if (failures.length) {
    console.error(`crosscheck.js ${args.mode}: ${failures.length} mismatch(es)`)
    process.exit(1)
  }
  console.log(`crosscheck.js ${args.mode}: all checks passed`)
}
main().catch(err => { console.error(`crosscheck.js: ${err.stack || err}`); process.exit(1) })
