// The five reference filters of docs/benchmarks.md in DuckDB (2 threads), over
// the CSV files `shopcrm_segments_bench --export DIR` writes, for the side-by-side
// comparison with the segment engine. Usage:
//
//   node compare.mjs DIR [runs]
//
// DuckDB gets the favourable layout an analyst would build: one row per user with
// the order figures pre-aggregated (latest order, orders in 90 days, spend) and the
// 48 tags as a bitmask, so each filter is a scan of one table. Times are per query
// after that table is built; the counts must equal the engine's.
import { DuckDBInstance } from '@duckdb/node-api'

const dir = process.argv[2]
const runs = Number(process.argv[3] ?? 21)
if (!dir) {
  console.error('usage: node compare.mjs DIR [runs]')
  process.exit(2)
}

const NOW = 1790000000000000n // the bench's fixed instant, microseconds
const DAY = 86400000000n

const instance = await DuckDBInstance.create(':memory:', { threads: '2' })
const db = await instance.connect()

async function timed(label, sql) {
  const t = performance.now()
  await db.run(sql)
  console.log(`${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
}

await timed('load users', `CREATE TABLE users AS SELECT * FROM read_csv('${dir}/users.csv', header = true,
  columns = {'id': 'BIGINT', 'city': 'VARCHAR', 'gender': 'VARCHAR', 'member': 'BOOLEAN',
             'blacklist': 'BOOLEAN', 'tagmask': 'UBIGINT'})`)
await timed('load orders', `CREATE TABLE orders AS SELECT * FROM read_csv('${dir}/orders.csv', header = true,
  columns = {'user_id': 'BIGINT', 'paid_at': 'BIGINT', 'amount': 'BIGINT'})`)
await timed('build features', `CREATE TABLE f AS
  SELECT u.*, o.last_order, COALESCE(o.orders_90d, 0) AS orders_90d, COALESCE(o.spend, 0) AS spend
  FROM users u LEFT JOIN (
    SELECT user_id, MAX(paid_at) AS last_order,
           COUNT(*) FILTER (WHERE paid_at > ${NOW - 90n * DAY} AND paid_at <= ${NOW}) AS orders_90d,
           SUM(amount) FILTER (WHERE paid_at <= ${NOW}) AS spend
    FROM orders GROUP BY user_id) o ON o.user_id = u.id`)

const city = (i) => `'city-${i}'`
const twenty = Array.from({ length: 20 }, (_, i) => city(i * 7)).join(', ')
let mask = 0n
for (let k = 10; k < 30; k++) mask |= 1n << BigInt(k)
const recency = (days) => `last_order IS NOT NULL AND (${NOW} - last_order) // ${DAY} <= ${days}`
const q2 = 'member AND NOT blacklist'
const q3 = `city = ${city(3)} AND ${recency(7)}`
const queries = [
  ['Q1', `${recency(30)} AND orders_90d >= 3 AND spend >= 50000 AND city IN (${twenty}) AND member AND NOT blacklist`],
  ['Q2', q2],
  ['Q3', q3],
  ['Q4', `(tagmask & ${mask}::UBIGINT) <> 0`],
  ['Q5', `(${q2}) AND (${q3})`],
]

for (const [name, where] of queries) {
  const times = []
  let count = 0
  for (let r = 0; r < runs; r++) {
    const t = performance.now()
    const reader = await db.runAndReadAll(`SELECT COUNT(*) FROM f WHERE ${where}`)
    times.push(performance.now() - t)
    count = Number(reader.getRows()[0][0])
  }
  times.sort((a, b) => a - b)
  const list = []
  for (let r = 0; r < runs; r++) {
    const t = performance.now()
    await db.runAndReadAll(`SELECT id FROM f WHERE ${where} ORDER BY id LIMIT 100`)
    list.push(performance.now() - t)
  }
  list.sort((a, b) => a - b)
  const p = (xs, q) => xs[Math.min(xs.length - 1, Math.floor(xs.length * q))].toFixed(2)
  console.log(`${name} count ${count}  p50 ${p(times, 0.5)} ms  p99 ${p(times, 0.99)} ms   list p50 ${p(list, 0.5)} ms`)
}
