import { describe, expect, it } from 'vitest'
import {
  checkEmail,
  checkLookupKey,
  checkName,
  checkStatus,
  checkSubscriber,
  normalizeEmail,
  parseStatus,
  STATUSES,
} from '../../src/rules'

describe('normalizeEmail', () => {
  it('trims and lowercases', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.COM \t')).toBe('ada.lovelace@example.com')
  })
})

describe('checkEmail', () => {
  const good = [
    'ada@example.com',
    '  Ada@Example.com  ',
    'first.last@sub.example.co.uk',
    'x@a.bc',
    "o'brien@example.ie",
    'user+tag@example.com',
    "!#$%&'*+/=?^_`{|}~-@example.com",
    'a@xn--bcher-kva.example',
    'a@1-2.example',
    `${'l'.repeat(64)}@example.com`,
    `a@${'d'.repeat(63)}.com`,
    // 254 characters in total.
    `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
  ]
  it.each(good)('accepts %s', (email) => {
    expect(checkEmail(email)).toBeNull()
  })

  const bad: [string, string, RegExp][] = [
    ['empty', '', /required/],
    ['only spaces', '   ', /required/],
    ['no @', 'ada.example.com', /exactly one '@'/],
    ['two @', 'ada@lovelace@example.com', /exactly one '@'/],
    ['empty local part', '@example.com', /before '@' is empty/],
    ['empty domain', 'ada@', /domain after '@' is empty/],
    ['local part of 65', `${'l'.repeat(65)}@example.com`, /at most 64/],
    ['leading dot', '.ada@example.com', /start or end with a dot/],
    ['trailing dot', 'ada.@example.com', /start or end with a dot/],
    ['double dot', 'ada..l@example.com', /two dots in a row/],
    ['space inside', 'ada l@example.com', /not allowed/],
    ['quoted local part', '"ada"@example.com', /not allowed/],
    ['comma', 'ada,l@example.com', /not allowed/],
    ['single label domain', 'ada@localhost', /at least two parts/],
    ['empty label', 'ada@example..com', /empty parts/],
    ['trailing dot domain', 'ada@example.com.', /empty parts/],
    ['leading hyphen label', 'ada@-example.com', /hyphens/],
    ['trailing hyphen label', 'ada@example-.com', /hyphens/],
    ['underscore in domain', 'ada@ex_ample.com', /hyphens/],
    ['ip literal', 'ada@[127.0.0.1]', /hyphens/],
    ['label of 64', `ada@${'d'.repeat(64)}.com`, /at most 63/],
    ['non-ASCII local part', 'josé@example.com', /only ASCII/],
    ['non-ASCII domain', 'ada@bücher.example', /only ASCII/],
    ['255 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, /at most 254/],
  ]
  it.each(bad)('rejects %s', (_what, email, message) => {
    expect(checkEmail(email)).toMatch(message)
  })
})

describe('checkName', () => {
  it.each(['', "O'Brien", 'Mary-Jane', 'José', '李', 'Zoë Smith-Jones', '👩‍💻', 'n'.repeat(255)])(
    'accepts %j',
    (name) => {
      expect(checkName(name)).toBeNull()
    },
  )

  it('counts code points, not UTF-16 units', () => {
    // 255 astral characters are 510 UTF-16 units but 255 code points.
    expect(checkName('😀'.repeat(255))).toBeNull()
    expect(checkName('😀'.repeat(256))).toMatch(/at most 255/)
    expect(checkName('李'.repeat(256))).toMatch(/at most 255/)
  })

  it('rejects more than 255 characters', () => {
    expect(checkName('n'.repeat(256), 'Last name')).toBe('Last name must be at most 255 characters.')
    expect(checkName('n'.repeat(300))).toMatch(/at most 255/)
  })

  it.each([
    ['NUL', 'a\u0000b'],
    ['tab', 'a\tb'],
    ['newline', 'Ada\n'],
    ['escape', '\u001b[31m'],
    ['DEL', 'a\u007f'],
    ['C1 control', 'a\u0085b'],
  ])('rejects a %s control character', (_what, name) => {
    expect(checkName(name)).toMatch(/control characters/)
  })

  it('rejects text that is not valid UTF-8 (lone surrogate)', () => {
    expect(checkName('a\uD800b')).toMatch(/invalid character/)
    expect(checkName('\uDC00')).toMatch(/invalid character/)
  })
})

describe('status', () => {
  it.each(STATUSES)('accepts %s in any case', (s) => {
    expect(checkStatus(s)).toBeNull()
    expect(checkStatus(s.toUpperCase())).toBeNull()
    expect(parseStatus(s.toUpperCase())).toBe(s)
  })

  it('treats empty as the default', () => {
    expect(checkStatus('')).toBeNull()
  })

  it('ignores surrounding white space', () => {
    expect(checkStatus(' Junk\t')).toBeNull()
    expect(parseStatus(' Junk\t')).toBe('junk')
  })

  it.each(['pending', 'actif', 'act ive', 'deleted'])('rejects %j', (s) => {
    expect(checkStatus(s)).toMatch(/must be one of/)
    expect(parseStatus(s)).toBeNull()
  })
})

describe('checkSubscriber', () => {
  it('returns no errors for a valid subscriber', () => {
    expect(
      checkSubscriber({ email: 'Ada@Example.com', name: 'Ada', last_name: "O'Brien", status: 'Active' }),
    ).toEqual({})
  })

  it('reports every bad field', () => {
    const errors = checkSubscriber({
      email: 'nope',
      name: 'x'.repeat(256),
      last_name: 'a\u0007',
      status: 'gone',
    })
    expect(Object.keys(errors).sort()).toEqual(['email', 'last_name', 'name', 'status'])
    expect(errors.last_name).toMatch(/^Last name/)
  })
})

describe('checkLookupKey', () => {
  it.each(['ada@example.com', ' 42 ', '7253351292715016193', 'ADA@EXAMPLE.COM'])('accepts %j', (k) => {
    expect(checkLookupKey(k)).toBeNull()
  })
  it.each(['', '  ', 'ada', '12a', '-1', '1.5'])('rejects %j', (k) => {
    expect(checkLookupKey(k)).not.toBeNull()
  })
})
