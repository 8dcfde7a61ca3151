// Client throughput benchmark (issue 3 §5), the official Node.js client's side: full scan of a set
// and bulk put (batchWrite) of N records of the same shape as bench/client_bench.cc builds.
//
//   node bench/node_scan.js scan --host H:P --set S [--expect N] [--bytes-per-record B]
//   node bench/node_scan.js put  --host H:P --set S --records N [--batch 5000] [--concurrency 2] [--bytes-per-record B]
//
// Prints one key=value line like client_bench: op, records, bytes (records x B: the record shape is
// identical, B comes from our put's byte count), seconds, rec_per_s, mb_per_s, cpu_seconds,
// vmhwm_kib (peak RSS from /proc/self/status), rss_kib (process.memoryUsage at the end).
'use strict'
const fs = require('fs')
const path = require('path')
const { createRequire } = require('module')
// The client is installed with the other test peers in tests/node (npm ci there).
const Aerospike = createRequire(path.join(__dirname, '..', 'tests', 'node', 'package.json'))('aerospike')
const { Key, Double } = Aerospike
const op = Aerospike.operations

function args () {
  const a = { op: process.argv[2], ns: 'test', batch: '5000', concurrency: '2', 'bytes-per-record': '0' }
  for (let i = 3; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
  if (!['scan', 'put'].includes(a.op) || !a.host || !a.set) {
    console.error('usage: node node_scan.js scan|put --host H:P --set S [--records N] [--expect N] [--batch B] [--concurrency C] [--bytes-per-record B]')
    process.exit(2)
  }
  return a
}
function peakRssKiB () {
  const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  return m ? Number(m[1]) : -1
}
function report (opName, records, seconds, bytesPerRecord, cpu0) {
  const cpu = process.cpuUsage(cpu0)
  const bytes = records * bytesPerRecord
  console.log(`op=${opName} records=${records} bytes=${bytes} seconds=${seconds.toFixed(3)} rec_per_s=${(records / seconds).toFixed(0)} ` +
    `mb_per_s=${(bytes / seconds / 1e6).toFixed(2)} cpu_seconds=${((cpu.user + cpu.system) / 1e6).toFixed(2)} ` +
    `vmhwm_kib=${peakRssKiB()} rss_kib=${Math.round(process.memoryUsage().rss / 1024)}`)
}

// The same record as BenchRecord() in client_bench.cc.
function benchOps (i) {
  const payload = Buffer.alloc(120)
  for (let j = 0; j < 120; j++) payload[j] = (i + j) % 251
  return [
    op.write('id', i),
    op.write('name', `user-${String(i).padStart(8, '0')}`),
    op.write('score', new Double(i * 0.5 + 0.25)),
    op.write('active', i % 2 === 1),
    op.write('payload', payload),
    op.write('tags', ['t1', i % 100, 'x'])
  ]
}

async function put (client, a) {
  const n = Number(a.records)
  const batch = Number(a.batch)
  const writePolicy = new Aerospike.BatchWritePolicy({ key: Aerospike.policy.key.SEND })
  const batchPolicy = new Aerospike.BatchPolicy({ totalTimeout: 60000, socketTimeout: 60000 })
  let next = 0
  let failed = 0
  let firstError = null
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  async function worker () {
    for (;;) {
      const begin = next
      if (begin >= n) return
      next += batch
      const end = Math.min(n, begin + batch)
      const recs = []
      for (let i = begin; i < end; i++) {
        recs.push({ type: Aerospike.batchType.BATCH_WRITE, key: new Key(a.ns, a.set, i), ops: benchOps(i), policy: writePolicy })
      }
      const results = await client.batchWrite(recs, batchPolicy)
      for (const r of results) {
        if (r.status !== Aerospike.status.OK) { failed++; firstError = firstError || `status ${r.status}` }
      }
    }
  }
  await Promise.all(Array.from({ length: Number(a.concurrency) }, worker))
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  if (failed) { console.error(`node_scan.js: ${failed} of ${n} records not written; first error ${firstError}`); process.exit(1) }
  report('put', n, secs, Number(a['bytes-per-record']), cpu0)
}

async function scan (client, a) {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  let records = 0
  await new Promise((resolve, reject) => {
    const s = client.scan(a.ns, a.set, { concurrent: true })
    const stream = s.foreach({ socketTimeout: 60000, totalTimeout: 0 })
    stream.on('data', () => { records++ })
    stream.on('error', reject)
    stream.on('end', resolve)
  })
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  if (a.expect && records !== Number(a.expect)) { console.error(`node_scan.js: scan returned ${records} records, expected ${a.expect}`); process.exit(1) }
  report('scan', records, secs, Number(a['bytes-per-record']), cpu0)
}

async function main () {
  const a = args()
  const [, host, port] = /^(.*):(\d+)$/.exec(a.host) || []
  if (!host) { console.error(`node_scan.js: bad --host ${a.host}`); process.exit(2) }
  const client = await Aerospike.connect({ hosts: [{ addr: host, port: Number(port) }], log: { level: Aerospike.log.OFF } })
  try {
    if (a.op === 'put') await put(client, a)
    else await scan(client, a)
  } finally {
    await client.close()
  }
}
main().catch(err => { console.error(`node_scan.js: ${err.stack || err}`); process.exit(1) })
