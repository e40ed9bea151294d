// Fails when dist/*.html would break the server's Content-Security-Policy
// (script-src 'self'; style-src 'self'; no external resources): inline
// <script> or <style> elements, style="" / on*="" attributes, javascript:
// URLs, or references to other origins.
// Usage: node scripts/check-dist.mjs [dir]   (default: dist next to this script)

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url))

const checks = [
  [/<script\b(?![^>]*\bsrc=)[^>]*>/i, 'inline <script> (no src)'],
  [/<style\b/i, 'inline <style>'],
  [/\sstyle\s*=/i, 'style="" attribute'],
  [/\son[a-z]+\s*=/i, 'inline event handler attribute'],
  [/javascript:/i, 'javascript: URL'],
  [/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i, 'resource from another origin'],
]

let problems = 0
const htmlFiles = (await readdir(root)).filter((f) => f.endsWith('.html'))
if (htmlFiles.length === 0) {
  console.error(`check-dist: no HTML files in ${root}`)
  process.exit(1)
}
for (const name of htmlFiles) {
  const html = await readFile(join(root, name), 'utf8')
  for (const [pattern, what] of checks) {
    const m = pattern.exec(html)
    if (m) {
      problems += 1
      console.error(`check-dist: ${name}: ${what}: ${m[0]}`)
    }
  }
}
if (problems > 0) process.exit(1)
console.log(`check-dist: ${htmlFiles.join(', ')} fit the CSP (no inline script/style, no external resources)`)
