/* eslint-disable no-template-curly-in-string -- the sources under test hold template literals */
import { describe, expect, it } from 'vitest'
import { codeWithoutComments } from './code-without-comments.js'

describe('codeWithoutComments', () => {
  it('blanks line and block comments, keeping line breaks', () => {
    expect(codeWithoutComments('a // conjur\n/* astra\n */b')).toBe('a \n\nb')
  })

  it('keeps strings, template literals and regular expressions that look like comments', () => {
    const code = 'const u = \'http://x\' + `/*${y + `${z}/a`}*/` + /\\/\\/[/]"/.source\nconst z = a / b // c'
    expect(codeWithoutComments(code)).toBe('const u = \'http://x\' + `/*${y + `${z}/a`}*/` + /\\/\\/[/]"/.source\nconst z = a / b ')
  })
})
