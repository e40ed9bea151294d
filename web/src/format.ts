const ISO = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/

/** "2026-11-26T13:45:01.123Z" -> "2026-11-26 13:45:01 UTC" (other input unchanged). */
export function formatTimestamp(iso: string): string {
  const m = ISO.exec(iso)
  return m ? `${m[1]} ${m[2]} UTC` : iso
}
