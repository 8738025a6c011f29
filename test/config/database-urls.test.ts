import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { parseHostList } from '../../src/db/multi-host.js'
import { configError } from '../helpers/config-error.js'

const primary = 'postgres://tessera@db1:5432/tessera'

describe('DATABASE_READ_URL and DATABASE_DIRECT_URL', () => {
  it('reads one or more read URLs, each possibly a host list of its own', () => {
    expect(loadConfig({ DATABASE_URL: primary, DATABASE_READ_URL: 'postgres://tessera@standby1/tessera' }).databaseReadUrls).toEqual(['postgres://tessera@standby1/tessera'])
    expect(loadConfig({ DATABASE_URL: primary, DATABASE_READ_URL: 'postgres://u@s1:5433,s2:5434/t , postgresql://u@s3/t,' }).databaseReadUrls)
      .toEqual(['postgres://u@s1:5433,s2:5434/t', 'postgresql://u@s3/t'])
    expect(loadConfig({ DATABASE_URL: primary }).databaseReadUrls).toEqual([])
  })

  it('reads the direct URL', () => {
    expect(loadConfig({ DATABASE_URL: primary, DATABASE_DIRECT_URL: 'postgres://tessera@db1:5433/tessera' }).databaseDirectUrl).toBe('postgres://tessera@db1:5433/tessera')
  })

  it.each([
    ['DATABASE_READ_URL', 'mysql://standby/t'],
    ['DATABASE_DIRECT_URL', 'http://db/t'],
    ['DATABASE_URL', 'postgres://u@h1,h2/t?target_session_attrs=standby'],
    ['DATABASE_READ_URL', 'postgres://u@h1/t?target_session_attrs=prefer-standby']
  ])('refuses %s=%s without echoing it', (variable, value) => {
    const error = configError({ DATABASE_URL: primary, [variable]: value })
    expect(error.variable).toBe(variable)
    expect(error.message).not.toContain(value)
  })

  it.each(['DATABASE_READ_URL', 'DATABASE_DIRECT_URL'])('refuses %s without DATABASE_URL', (variable) => {
    expect(configError({ [variable]: primary }).message).toBe(`${variable} needs DATABASE_URL (the primary): the embedded database has no replicas`)
  })
})

describe('parseHostList (libpq host lists, which node-postgres does not read)', () => {
  it('reads each host and port, and target_session_attrs', () => {
    const list = parseHostList('postgres://u:p%40w@h1:5433,[::1]:5434,h3/db?target_session_attrs=read-write&sslmode=disable')
    expect(list.hosts).toEqual([{ host: 'h1', port: 5433 }, { host: '[::1]', port: 5434 }, { host: 'h3', port: 5432 }])
    expect(list.readWrite).toBe(true)
    expect(list.urlFor(list.hosts[1]!)).toBe('postgres://u:p%40w@[::1]:5434/db?sslmode=disable')
  })

  it('takes one host with any session as it is', () => {
    const list = parseHostList('postgresql://db.example/tessera')
    expect(list).toMatchObject({ hosts: [{ host: 'db.example', port: 5432 }], readWrite: false })
    expect(list.urlFor(list.hosts[0]!)).toBe('postgresql://db.example/tessera')
    expect(parseHostList('postgres:///tessera?host=/var/run/postgresql').urlFor({ host: 'localhost', port: 5432 })).toBe('postgres:///tessera?host=/var/run/postgresql')
    expect(parseHostList('postgres://u@h1,h2/t?target_session_attrs=primary').readWrite).toBe(true)
    expect(parseHostList('postgres://u@h1,h2/t?target_session_attrs=any').readWrite).toBe(false)
  })
})
