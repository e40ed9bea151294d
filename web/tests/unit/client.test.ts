import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, createClient, describeFailure, type Subscriber } from '../../src/api/client'

const ada: Subscriber = {
  id: '7253351292715016193',
  email: 'ada@example.com',
  name: 'Ada',
  last_name: 'Lovelace',
  status: 'active',
  created_at: '2026-11-26T13:45:01.123Z',
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json'
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type, ...headers } })
}

function problem(status: number, type: string, extra: Record<string, unknown> = {}) {
  return { type, title: 'Title', status, detail: `detail ${status}`, ...extra }
}

/** A client whose fetch answers with `reply` and records the requests. */
function clientReplying(reply: Response | Error) {
  const calls: { url: string; init: RequestInit | undefined }[] = []
  const client = createClient({
    fetch: async (url, init) => {
      calls.push({ url, init })
      if (reply instanceof Error) throw reply
      return reply
    },
  })
  return { client, calls }
}

const newAda = { email: 'ada@example.com', name: 'Ada', last_name: 'Lovelace', status: 'active' }

describe('create', () => {
  it('sends JSON to POST /api/subscribers', async () => {
    const { client, calls } = clientReplying(json(201, ada, { Location: `/api/subscribers/${ada.id}` }))
    await client.create(newAda)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.url).toBe('/api/subscribers')
    expect(calls[0]!.init?.method).toBe('POST')
    expect(new Headers(calls[0]!.init?.headers).get('Content-Type')).toBe('application/json')
    expect(JSON.parse(String(calls[0]!.init?.body))).toEqual(newAda)
  })

  it('201 -> created with location', async () => {
    const { client } = clientReplying(json(201, ada, { Location: `/api/subscribers/${ada.id}` }))
    expect(await client.create(newAda)).toEqual({
      kind: 'created',
      subscriber: ada,
      location: `/api/subscribers/${ada.id}`,
    })
  })

  it('202 -> accepted', async () => {
    const { client } = clientReplying(json(202, ada, { Location: `/api/subscribers/${ada.id}` }))
    const r = await client.create(newAda)
    expect(r.kind).toBe('accepted')
    if (r.kind === 'accepted') expect(r.subscriber).toEqual(ada)
  })

  it('201 without Location still gives the subscriber path', async () => {
    const { client } = clientReplying(json(201, ada))
    const r = await client.create(newAda)
    expect(r).toMatchObject({ kind: 'created', location: `/api/subscribers/${ada.id}` })
  })

  it('409 -> exists with the stored subscriber', async () => {
    const body = problem(409, '/problems/already-exists', { subscriber: ada })
    const { client } = clientReplying(json(409, body))
    const r = await client.create(newAda)
    expect(r.kind).toBe('exists')
    if (r.kind === 'exists') {
      expect(r.subscriber).toEqual(ada)
      expect(r.problem.type).toBe('/problems/already-exists')
    }
  })

  it('422 -> invalid with messages per field', async () => {
    const body = problem(422, '/problems/validation-error', {
      errors: [
        { field: 'email', message: 'must contain exactly one @' },
        { field: 'name', message: 'too long' },
        { field: 'name', message: 'contains control characters' },
      ],
    })
    const { client } = clientReplying(json(422, body))
    const r = await client.create(newAda)
    expect(r.kind).toBe('invalid')
    if (r.kind === 'invalid') {
      expect(r.fields).toEqual({
        email: 'must contain exactly one @',
        name: 'too long contains control characters',
      })
      expect(r.problem.status).toBe(422)
    }
  })

  it('400 -> problem', async () => {
    const { client } = clientReplying(json(400, problem(400, '/problems/invalid-body')))
    const r = await client.create(newAda)
    expect(r).toEqual({
      kind: 'problem',
      problem: problem(400, '/problems/invalid-body'),
      retryAfter: null,
    })
  })

  it('503 -> problem with Retry-After', async () => {
    const { client } = clientReplying(
      json(503, problem(503, '/problems/service-unavailable'), { 'Retry-After': '5' }),
    )
    const r = await client.create(newAda)
    expect(r).toMatchObject({ kind: 'problem', retryAfter: 5, problem: { status: 503 } })
    if (r.kind === 'problem') expect(describeFailure(r)).toBe('Title: detail 503 (try again in 5 s)')
  })

  it('409 without a subscriber is a plain problem', async () => {
    const { client } = clientReplying(json(409, problem(409, '/problems/already-exists')))
    expect((await client.create(newAda)).kind).toBe('problem')
  })

  it('an error that is not a problem document gets a synthetic problem', async () => {
    const { client } = clientReplying(
      new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
    )
    const r = await client.create(newAda)
    expect(r).toMatchObject({ kind: 'problem', problem: { status: 502, type: 'about:blank' } })
  })

  it('network error -> network', async () => {
    const { client } = clientReplying(new TypeError('fetch failed'))
    const r = await client.create(newAda)
    expect(r.kind).toBe('network')
    if (r.kind === 'network') {
      expect(r.message).toContain('fetch failed')
      expect(describeFailure(r)).toBe(r.message)
    }
  })
})

describe('get', () => {
  it('200 -> found; the key is percent-encoded', async () => {
    const { client, calls } = clientReplying(json(200, ada))
    expect(await client.get('Ada+x@example.com')).toEqual({ kind: 'found', subscriber: ada })
    expect(calls[0]!.url).toBe('/api/subscribers/Ada%2Bx%40example.com')
  })

  it('looks up by id', async () => {
    const { client, calls } = clientReplying(json(200, ada))
    await client.get(ada.id)
    expect(calls[0]!.url).toBe(`/api/subscribers/${ada.id}`)
  })

  it('404 -> not-found', async () => {
    const { client } = clientReplying(json(404, problem(404, '/problems/not-found')))
    const r = await client.get('nobody@example.com')
    expect(r).toEqual({ kind: 'not-found', problem: problem(404, '/problems/not-found') })
  })

  it('503 -> problem', async () => {
    const { client } = clientReplying(json(503, problem(503, '/problems/service-unavailable')))
    expect((await client.get('1')).kind).toBe('problem')
  })

  it('network error -> network', async () => {
    const { client } = clientReplying(new TypeError('Failed to fetch'))
    expect((await client.get('1')).kind).toBe('network')
  })
})

describe('list', () => {
  const page = { data: [ada], total: 1, next_cursor: null, prev_cursor: null }

  it('builds the query string', async () => {
    const { client, calls } = clientReplying(json(200, page))
    expect(await client.list({ limit: 10, status: 'junk', cursor: 'abc/+=' })).toEqual({ kind: 'page', page })
    expect(calls[0]!.url).toBe('/api/subscribers?limit=10&cursor=abc%2F%2B%3D&status=junk')
  })

  it('omits empty parameters', async () => {
    const { client, calls } = clientReplying(json(200, page))
    await client.list()
    expect(calls[0]!.url).toBe('/api/subscribers')
  })

  it('400 invalid cursor -> problem', async () => {
    const { client } = clientReplying(json(400, problem(400, '/problems/invalid-cursor')))
    const r = await client.list({ cursor: 'zzz' })
    expect(r).toMatchObject({ kind: 'problem', problem: { type: '/problems/invalid-cursor' } })
  })

  it('422 -> invalid naming the parameter', async () => {
    const body = problem(422, '/problems/validation-error', { errors: [{ field: 'limit', message: 'must be 1 to 100' }] })
    const { client } = clientReplying(json(422, body))
    const r = await client.list({ limit: 500 })
    expect(r).toMatchObject({ kind: 'invalid', fields: { limit: 'must be 1 to 100' } })
  })
})

describe('default client', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('uses the global fetch at call time', async () => {
    const fetchMock = vi.fn(async () => json(200, ada))
    vi.stubGlobal('fetch', fetchMock)
    expect(await api.get(ada.id)).toEqual({ kind: 'found', subscriber: ada })
    expect(fetchMock).toHaveBeenCalledOnce()
  })
})
