// Client-side checks for a new subscriber. They mirror the server's rules
// (see SubscriberCreate in docs/openapi.yaml) so that most mistakes are
// reported before a request is sent; the server remains the authority.

import type { SubscriberStatus } from './api/client'

export const STATUSES: readonly SubscriberStatus[] = [
  'active',
  'unsubscribed',
  'unconfirmed',
  'bounced',
  'junk',
]

export const EMAIL_MAX = 254
export const LOCAL_PART_MAX = 64
export const LABEL_MAX = 63
export const NAME_MAX = 255

export interface SubscriberInput {
  email: string
  name: string
  last_name: string
  status: string
}

export type FieldErrors = Partial<Record<keyof SubscriberInput, string>>

// RFC 5321 atext (letters, digits and these symbols), plus '.' in between.
const LOCAL_CHAR = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/
const NON_ASCII = /[^\x00-\x7f]/
// Unicode general category Cc: C0 controls, DEL and C1 controls.
const CONTROL = /\p{Cc}/u
// With the u flag a surrogate pair is one code point, so this only matches
// lone surrogates, which cannot be encoded as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** Trim and lowercase, as the server does before checking and storing. */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase()
}

/** Returns an error message, or null when the address is acceptable. */
export function checkEmail(raw: string): string | null {
  const email = normalizeEmail(raw)
  if (email === '') return 'Email is required.'
  if (NON_ASCII.test(email)) return 'Email must contain only ASCII characters.'
  if (email.length > EMAIL_MAX) return `Email must be at most ${EMAIL_MAX} characters.`
  const parts = email.split('@')
  if (parts.length !== 2) return "Email must contain exactly one '@'."
  const [local, domain] = parts as [string, string]

  if (local === '') return "The part before '@' is empty."
  if (local.length > LOCAL_PART_MAX)
    return `The part before '@' must be at most ${LOCAL_PART_MAX} characters.`
  if (!LOCAL_CHAR.test(local)) return "The part before '@' contains a character that is not allowed."
  if (local.startsWith('.') || local.endsWith('.'))
    return "The part before '@' must not start or end with a dot."
  if (local.includes('..')) return "The part before '@' must not contain two dots in a row."

  if (domain === '') return "The domain after '@' is empty."
  const labels = domain.split('.')
  if (labels.length < 2) return 'The domain must have at least two parts, like example.com.'
  for (const label of labels) {
    if (label === '') return 'The domain must not have empty parts (check the dots).'
    if (label.length > LABEL_MAX)
      return `Each part of the domain must be at most ${LABEL_MAX} characters.`
    if (!LABEL.test(label))
      return 'The domain may only use letters, digits and hyphens (not at the start or end of a part).'
  }
  return null
}

/** Checks a name or last name; `what` names the field in the message. */
export function checkName(value: string, what = 'Name'): string | null {
  if (LONE_SURROGATE.test(value)) return `${what} contains an invalid character.`
  if ([...value].length > NAME_MAX) return `${what} must be at most ${NAME_MAX} characters.`
  if (CONTROL.test(value)) return `${what} must not contain control characters.`
  return null
}

/** Case-insensitive, like the server; an empty value means the default. */
export function checkStatus(value: string): string | null {
  if (value.trim() === '') return null
  return parseStatus(value) ? null : `Status must be one of: ${STATUSES.join(', ')}.`
}

/** Surrounding white space is ignored and case does not matter, as on the server. */
export function parseStatus(value: string): SubscriberStatus | null {
  const lower = value.trim().toLowerCase()
  return STATUSES.find((s) => s === lower) ?? null
}

/** Checks every field; an empty object means the input may be sent. */
export function checkSubscriber(input: SubscriberInput): FieldErrors {
  const errors: FieldErrors = {}
  const email = checkEmail(input.email)
  if (email) errors.email = email
  const name = checkName(input.name, 'Name')
  if (name) errors.name = name
  const lastName = checkName(input.last_name, 'Last name')
  if (lastName) errors.last_name = lastName
  const status = checkStatus(input.status)
  if (status) errors.status = status
  return errors
}

/** A look-up key is an email (anything with '@') or a decimal id. */
export function checkLookupKey(raw: string): string | null {
  const key = raw.trim()
  if (key === '') return 'Enter an email address or an id.'
  if (key.includes('@')) return null
  if (/^[0-9]{1,20}$/.test(key)) return null
  return 'Enter an email address (with @) or a numeric id.'
}
