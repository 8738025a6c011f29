import { accountSection, apiKeySection, userSection } from './core-sections.js'
import type { FamilyTransfer, TransferSection } from './section.js'

/** The sections of an export, in the order it writes them: every line refers only to lines before it. */
export function transferSections (families: ReadonlyArray<{ transfer?: FamilyTransfer | undefined }>): readonly TransferSection[] {
  return [
    accountSection,
    userSection,
    ...families.flatMap((family) => family.transfer?.objects ?? []),
    apiKeySection,
    ...families.flatMap((family) => family.transfer?.credentials ?? [])
  ]
}
