import { describe, expect, it } from 'vitest'
import { FAMILY_CLIS } from '../../src/families/cli-commands.js'
import { FAMILIES } from '../../src/families/index.js'
import { revokedFields } from '../../src/services/kill-switch-words.js'
import { retained } from '../../src/services/retained-credentials.js'

describe('the CLI\'s list of families', () => {
  it('names what retention purges as the server does, in the same order', () => {
    // The CLI's help and results name the kinds the server's purge counts (FAMILIES), without loading it.
    expect(retained(FAMILY_CLIS).ended).toEqual(retained(FAMILIES).ended)
  })

  it('points at the families\' own retention parts, not copies of them', () => {
    const served = FAMILIES.map((family) => family.retention)
    for (const cli of FAMILY_CLIS) if (cli.retention) expect(served).toContain(cli.retention)
  })

  it('names the kill switch\'s fields as the server\'s reply holds them, from the families\' own words', () => {
    // The CLI's help and result line name what the admin API's reply holds (FAMILIES), without loading it.
    expect(revokedFields(FAMILY_CLIS)).toEqual(revokedFields(FAMILIES))
    const served = FAMILIES.map((family) => family.killSwitch)
    for (const cli of FAMILY_CLIS) if (cli.killSwitch) expect(served).toContain(cli.killSwitch)
  })
})
