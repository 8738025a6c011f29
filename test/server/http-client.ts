import type { Agent } from 'node:http'
import { request } from 'node:http'

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface Outgoing {
  method?: string
  path: string
  headers?: Record<string, string>
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown
}

/** One request to a server process over a real socket (of `agent`, kept alive or not). */
export function sendRequest (port: number, agent: Agent, outgoing: Outgoing): Promise<Reply> {
  const payload = outgoing.body === undefined ? undefined : typeof outgoing.body === 'string' ? outgoing.body : JSON.stringify(outgoing.body)
  const headers: Record<string, string> = { ...outgoing.headers }
  if (payload !== undefined && typeof outgoing.body !== 'string') headers['content-type'] ??= 'application/json'
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: outgoing.method ?? 'GET', path: outgoing.path, agent, headers }, (res) => {
      let body = ''
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(payload)
  })
}
