import { describe, expect, it } from 'vitest'
import { CREDENTIAL_KINDS } from '../../src/core/credential-kinds.js'
import { FAMILIES } from '../../src/families/index.js'
import { storedCredentialKinds } from '../../src/services/credentials.js'

describe('stored credential kinds', () => {
  it('the identity core and the families declare each kind of the credentials view once: each can be revoked by its accessor', () => {
    const declared = storedCredentialKinds(FAMILIES)
    expect(new Set(declared).size).toBe(declared.length)
    expect([...declared].sort()).toEqual([...CREDENTIAL_KINDS].sort())
  })
})
