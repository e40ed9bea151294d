// Small typed wrapper around fetch for the subscriberd API. The types come
// from docs/openapi.yaml (generated into ./schema.d.ts by `npm run gen:api`),
// so a change of the API description that the page does not follow fails
// the type check.

import type { components, paths } from './schema'

type Schemas = components['schemas']
export type Subscriber = Schemas['Subscriber']
export type SubscriberStatus = Schemas['SubscriberStatus']
export type SubscriberCreate = Schemas['SubscriberCreate']
export type SubscriberPage = Schemas['SubscriberPage']
export type Problem = Schemas['Problem']
export type ValidationProblem = Schemas['ValidationProblem']
export type ConflictProblem = Schemas['ConflictProblem']
export type FieldError = Schemas['FieldError']
export type ListQuery = NonNullable<paths['/api/subscribers']['get']['parameters']['query']>

/** Outcomes shared by every call. */
export type Failure =
  /** 422: `fields` maps a field name to its message(s). */
  | { kind: 'invalid'; problem: ValidationProblem; fields: Record<string, string> }
  /** Any other error status (400, 404, 413, 415, 500, 503, ...). */
  | { kind: 'problem'; problem: Problem; retryAfter: number | null }
  /** No HTTP response at all (server down, connection refused, ...). */
  | { kind: 'network'; message: string }

export type CreateResult =
  | { kind: 'created'; subscriber: Subscriber; location: string }
  | { kind: 'accepted'; subscriber: Subscriber; location: string }
  | { kind: 'exists'; problem: ConflictProblem; subscriber: Subscriber }
  | Failure

export type GetResult =
  | { kind: 'found'; subscriber: Subscriber }
  | { kind: 'not-found'; problem: Problem }
  | Failure

export type ListResult = { kind: 'page'; page: SubscriberPage } | Failure

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

interface Reply {
  status: number
  headers: Headers
  body: unknown
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isProblem(v: unknown): v is Problem {
  return isObject(v) && typeof v.status === 'number' && typeof v.title === 'string'
}

function isSubscriber(v: unknown): v is Subscriber {
  return isObject(v) && typeof v.id === 'string' && typeof v.email === 'string'
}

function isPage(v: unknown): v is SubscriberPage {
  return isObject(v) && Array.isArray(v.data) && typeof v.total === 'number'
}

/** A problem for a reply whose body is not a problem document. */
function syntheticProblem(status: number, detail: string): Problem {
  return { type: 'about:blank', title: `HTTP ${status}`, status, detail }
}

function failure(reply: Reply): Failure {
  const { status, body } = reply
  if (status === 422 && isProblem(body) && Array.isArray((body as ValidationProblem).errors)) {
    const problem = body as ValidationProblem
    const fields: Record<string, string> = {}
    for (const e of problem.errors) {
      fields[e.field] = fields[e.field] ? `${fields[e.field]} ${e.message}` : e.message
    }
    return { kind: 'invalid', problem, fields }
  }
  const problem = isProblem(body)
    ? body
    : syntheticProblem(status, status < 400 ? 'Unexpected response from the server.' : 'The server answered with an error.')
  const retry = Number.parseInt(reply.headers.get('Retry-After') ?? '', 10)
  return { kind: 'problem', problem, retryAfter: Number.isFinite(retry) ? retry : null }
}

export function createClient(options: { baseUrl?: string; fetch?: FetchLike } = {}) {
  const baseUrl = options.baseUrl ?? ''
  // Looked up at call time so a replaced global fetch (tests) is honoured.
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  async function send(path: string, init: RequestInit = {}): Promise<Reply | Failure> {
    let res: Response
    try {
      res = await doFetch(baseUrl + path, {
        ...init,
        headers: { Accept: 'application/json, application/problem+json', ...init.headers },
      })
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      return { kind: 'network', message: `Could not reach the server (${message}).` }
    }
    let body: unknown = null
    const type = res.headers.get('Content-Type') ?? ''
    if (type.includes('json')) {
      try {
        body = await res.json()
      } catch {
        body = null
      }
    }
    return { status: res.status, headers: res.headers, body }
  }

  function isReply(r: Reply | Failure): r is Reply {
    return !('kind' in r)
  }

  return {
    /** POST /api/subscribers */
    async create(input: SubscriberCreate): Promise<CreateResult> {
      const r = await send('/api/subscribers', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(input),
      })
      if (!isReply(r)) return r
      if ((r.status === 201 || r.status === 202) && isSubscriber(r.body)) {
        const location = r.headers.get('Location') ?? `/api/subscribers/${r.body.id}`
        return { kind: r.status === 201 ? 'created' : 'accepted', subscriber: r.body, location }
      }
      if (r.status === 409 && isProblem(r.body) && isSubscriber((r.body as ConflictProblem).subscriber)) {
        const problem = r.body as ConflictProblem
        return { kind: 'exists', problem, subscriber: problem.subscriber }
      }
      return failure(r)
    },

    /** GET /api/subscribers/{key}; key is an email or a decimal id. */
    async get(key: string): Promise<GetResult> {
      const r = await send(`/api/subscribers/${encodeURIComponent(key)}`)
      if (!isReply(r)) return r
      if (r.status === 200 && isSubscriber(r.body)) return { kind: 'found', subscriber: r.body }
      if (r.status === 404) {
        const problem = isProblem(r.body) ? r.body : syntheticProblem(404, `No subscriber "${key}".`)
        return { kind: 'not-found', problem }
      }
      return failure(r)
    },

    /** GET /api/subscribers?limit=&cursor=&status= */
    async list(query: ListQuery = {}): Promise<ListResult> {
      const params = new URLSearchParams()
      if (query.limit !== undefined) params.set('limit', String(query.limit))
      if (query.cursor) params.set('cursor', query.cursor)
      if (query.status) params.set('status', query.status)
      const qs = params.toString()
      const r = await send(`/api/subscribers${qs ? `?${qs}` : ''}`)
      if (!isReply(r)) return r
      if (r.status === 200 && isPage(r.body)) return { kind: 'page', page: r.body }
      return failure(r)
    },
  }
}

export type Client = ReturnType<typeof createClient>

export const api: Client = createClient()

/** One line describing a failure, for display. */
export function describeFailure(f: Failure): string {
  switch (f.kind) {
    case 'network':
      return f.message
    case 'invalid':
      return f.problem.detail || f.problem.title
    case 'problem': {
      const base = [f.problem.title, f.problem.detail].filter(Boolean).join(': ')
      return f.retryAfter !== null ? `${base} (try again in ${f.retryAfter} s)` : base
    }
  }
}
