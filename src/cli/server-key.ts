import { ConfigError, type Config } from '../config.js'
import { parseSecretKey, SecretBox } from '../core/secrets.js'

/** Why a command that issues an API key needs the server's key. */
export const ISSUING = 'is required to issue API keys: they are kept sealed under the server key (use the same key as the server)'

/** Only what issues or opens sealed secrets needs the server's key; other commands run without it. */
export function serverKey (config: Config, why: string): Buffer {
  const key = config.secretKey === undefined ? null : parseSecretKey(config.secretKey)
  if (!key) throw new ConfigError('TESSERA_SECRET_KEY', why)
  return key
}

export const serverBox = (config: Config, why: string) => new SecretBox(serverKey(config, why))
