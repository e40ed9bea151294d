// Writes a gzip copy (`<file>.gz`) next to every text asset in dist/, so the
// server can send precompressed responses to clients that accept gzip.
// Usage: node scripts/compress.mjs [dir]   (default: dist next to this script)

import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { constants, gzipSync } from 'node:zlib'

const TEXT = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.yaml', '.yml', '.txt', '.map'])
const root = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url))

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else if (entry.isFile()) yield path
  }
}

let count = 0
let before = 0
let after = 0
for await (const path of files(root)) {
  if (!TEXT.has(extname(path).toLowerCase())) continue
  const data = await readFile(path)
  const gz = gzipSync(data, { level: constants.Z_BEST_COMPRESSION })
  await writeFile(`${path}.gz`, gz)
  // Same modification time as the source, so both validate alike.
  const { atime, mtime } = await stat(path)
  await utimes(`${path}.gz`, atime, mtime)
  count += 1
  before += data.length
  after += gz.length
  console.log(`  ${relative(root, path)}.gz  ${data.length} -> ${gz.length} bytes`)
}
console.log(`compress: ${count} files, ${before} -> ${after} bytes`)
